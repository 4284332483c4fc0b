import { useState, type FormEvent } from 'react';
import { Button, Group, Modal, Stack, Textarea } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ProblemAlert } from './ProblemAlert';

/** Approve/reject decisions always carry a reason (kept on the record and in the audit log). */
export function ReasonDialog(props: {
  title: string | null;
  confirm: string;
  busy: boolean;
  error: unknown;
  onSubmit(reason: string): void;
  onClose(): void;
}) {
  const { t } = useTranslation();
  const [reason, setReason] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    props.onSubmit(reason.trim());
  };
  return (
    <Modal opened={props.title !== null} onClose={props.onClose} title={props.title}>
      <form onSubmit={submit}>
        <Stack>
          <ProblemAlert error={props.error} />
          <Textarea label={t('review.reason')} required autosize minRows={2} value={reason} onChange={(e) => setReason(e.currentTarget.value)} data-autofocus />
          <Group justify="end">
            <Button variant="default" onClick={props.onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={props.busy} disabled={!reason.trim()}>
              {props.confirm}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
