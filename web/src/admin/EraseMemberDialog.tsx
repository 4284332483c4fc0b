/**
 * Erasing a member (POST /v1/members/{id}/erase, GDPR art. 17) cannot be undone, so the dialog says what goes
 * and what stays in plain words, asks for the reason the ledger keeps, and makes the user type the member's
 * externalId: a second click is too easy on the wrong member's page, typing their id is not.
 */
import { useState, type FormEvent } from 'react';
import { Button, Group, List, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type { Member } from '../api/types';
import { fieldError, ProblemAlert } from '../shared/ProblemAlert';
import { formatNumber } from '../shared/format';

export interface EraseOutcome {
  member: Member;
  pointsForfeited: number;
}

export function EraseMemberDialog(props: { member: Member; opened: boolean; onClose(): void; onErased(outcome: EraseOutcome): void }) {
  const { t } = useTranslation();
  return (
    <Modal opened={props.opened} onClose={props.onClose} title={t('member.erase.title', { externalId: props.member.externalId })} size="lg">
      {/* Inside the modal, so a closed dialog forgets what was typed: the next opening starts clean. */}
      <EraseForm {...props} />
    </Modal>
  );
}

function EraseForm({ member, onClose, onErased }: { member: Member; onClose(): void; onErased(outcome: EraseOutcome): void }) {
  const { t } = useTranslation();
  const [reason, setReason] = useState('');
  const [typed, setTyped] = useState('');
  const erase = useMutation({
    mutationFn: async () => unwrap(await api().POST('/v1/members/{id}/erase', { params: { path: { id: member.id } }, body: { reason: reason.trim() } })),
    onSuccess: onErased,
  });
  const confirmed = typed.trim() === member.externalId;
  const points = member.balance.available + member.balance.pending;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (confirmed && reason.trim()) erase.mutate();
  };
  return (
    <form onSubmit={submit}>
      <Stack>
        <Text>{t('member.erase.intro')}</Text>
        <List spacing="xs">
          <List.Item>{t('member.erase.personalData', { externalId: member.externalId })}</List.Item>
          <List.Item>{t('member.erase.points', { count: points, formatted: formatNumber(points) })}</List.Item>
          <List.Item>{t('member.erase.ledger', { id: member.id })}</List.Item>
          <List.Item>{t('member.erase.webhook')}</List.Item>
        </List>
        <ProblemAlert error={erase.error} />
        <TextInput
          label={t('member.reason')}
          description={t('member.erase.reasonHint')}
          required
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          error={fieldError(erase.error, '/reason')}
          data-autofocus
        />
        <TextInput
          label={t('member.erase.typeToConfirm', { externalId: member.externalId })}
          required
          autoComplete="off"
          spellCheck={false}
          value={typed}
          onChange={(e) => setTyped(e.currentTarget.value)}
        />
        <Group justify="end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" color="red" loading={erase.isPending} disabled={!confirmed || !reason.trim()}>
            {t('member.erase.submit')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
