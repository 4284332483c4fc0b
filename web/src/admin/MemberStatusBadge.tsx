import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Member } from '../api/types';

type MemberStatus = Member['status'];

// Blocked is a state to act on (red); erased is final and nothing is left to act on, so it reads as gone (grey).
const colors: Record<MemberStatus, string> = { active: 'teal', blocked: 'red', erased: 'gray' };

export function MemberStatusBadge({ status }: { status: MemberStatus }) {
  const { t } = useTranslation();
  return <Badge color={colors[status]}>{t(`members.statuses.${status}`)}</Badge>;
}
