/**
 * "Import members" and "Bulk adjust points": pick or paste a CSV, see what will be sent and what is wrong with
 * the file (by line) before sending, send it as one bulk operation, then follow its progress and get the failed
 * lines back. The file is read in the browser (bulk-items.ts); the server gets JSON items.
 */
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { Alert, Anchor, Button, FileInput, Group, List, Modal, Stack, Table, Text, Textarea, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import { ProblemError } from '../api/problem';
import { decodeCsv } from '../shared/csv';
import { fieldError, ProblemAlert } from '../shared/ProblemAlert';
import { formatNumber } from '../shared/format';
import { lineErrorsOf, readBulkFile, type BulkFile, type BulkKind, type BulkOperation } from './bulk-items';
import { BulkFailures, BulkProgress, useBulkOperation } from './BulkProgress';

/** How many lines the preview shows, and how many of the file's problems. */
const previewLines = 5;
const shownProblems = 20;

export function BulkOperationDialog({ kind, onClose }: { kind: BulkKind | null; onClose(): void }) {
  const { t } = useTranslation();
  return (
    <Modal size="xl" opened={kind !== null} onClose={onClose} title={kind ? t(`bulk.dialogTitle.${kind}`) : undefined}>
      {/* Mounted per opening, so a new file starts from an empty form. */}
      {kind && <BulkOperationForm kind={kind} onClose={onClose} />}
    </Modal>
  );
}

interface Submission {
  file: BulkFile;
  reason: string;
  idempotencyKey: string;
}

function BulkOperationForm({ kind, onClose }: { kind: BulkKind; onClose(): void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [fileText, setFileText] = useState('');
  const [pasted, setPasted] = useState('');
  const [reason, setReason] = useState('');
  const [started, setStarted] = useState<{ operation: BulkOperation; lines: number[] } | null>(null);
  const latestFile = useRef<File | null>(null);
  const lastSubmission = useRef<Submission | null>(null);

  const text = file ? fileText : pasted;
  const parsed = useMemo(() => readBulkFile(kind, text), [kind, text]);

  const start = useMutation({
    mutationFn: async ({ file: bulkFile, reason: operationReason, idempotencyKey }: Submission) => {
      const params = { header: { 'idempotency-key': idempotencyKey } };
      return bulkFile.kind === 'member_import'
        ? unwrap(await api().POST('/v1/bulk-operations/member-import', { params, body: { items: bulkFile.items } }))
        : unwrap(await api().POST('/v1/bulk-operations/points-adjustment', { params, body: { reason: operationReason, items: bulkFile.items } }));
    },
    onSuccess: (operation, submission) => {
      setStarted({ operation, lines: submission.file.lines });
      void queryClient.invalidateQueries({ queryKey: ['bulk-operations'] });
    },
  });
  const { reset } = start;

  const chooseFile = (chosen: File | null) => {
    latestFile.current = chosen;
    setFile(chosen);
    setFileText('');
    reset();
    if (!chosen) return;
    void chosen.arrayBuffer().then((bytes) => {
      // A file chosen after this one wins, whichever is read first.
      if (latestFile.current === chosen) setFileText(decodeCsv(bytes));
    });
  };

  const needsReason = kind === 'points_adjustment';
  const sendable = parsed.items.length > 0 && parsed.problems.length === 0 && (!needsReason || reason.trim() !== '');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!sendable || start.isPending) return;
    // One key per content, not per click: a double click, or Send again after a dropped connection, replays the
    // operation the server already accepted instead of starting a second one. Other content gets a new key,
    // since the server refuses a key reused for a different body.
    const previous = lastSubmission.current;
    const submission =
      previous && previous.file === parsed && previous.reason === reason.trim()
        ? previous
        : { file: parsed, reason: reason.trim(), idempotencyKey: crypto.randomUUID() };
    lastSubmission.current = submission;
    start.mutate(submission);
  };

  if (started) return <BulkStarted initial={started.operation} csvLines={started.lines} onClose={onClose} />;

  const lineErrors = start.error instanceof ProblemError ? lineErrorsOf(start.error.problem.errors, parsed.lines) : [];
  return (
    <form onSubmit={submit}>
      <Stack>
        <Text size="sm">{t(`bulk.columnsHelp.${kind}`)}</Text>
        <FileInput
          label={t('bulk.file')}
          description={t('bulk.fileHint')}
          placeholder={t('bulk.filePlaceholder')}
          accept=".csv,text/csv,text/plain"
          clearable
          value={file}
          onChange={chooseFile}
        />
        <Textarea
          label={t('bulk.paste')}
          description={file ? t('bulk.pasteDisabled') : undefined}
          disabled={file !== null}
          autosize
          minRows={3}
          maxRows={10}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          value={pasted}
          onChange={(e) => {
            setPasted(e.currentTarget.value);
            reset();
          }}
        />
        {needsReason && (
          <TextInput
            label={t('bulk.reason')}
            description={t('bulk.reasonHint')}
            required
            maxLength={500}
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            error={fieldError(start.error, '/reason')}
          />
        )}
        <Preview file={parsed} />
        <ProblemAlert error={start.error} />
        {lineErrors.length > 0 && (
          <Alert color="red" title={t('bulk.serverLinesTitle')}>
            <List size="sm">
              {lineErrors.map((error) => (
                <List.Item key={`${error.line}-${error.field ?? ''}`}>
                  {error.field ? t('bulk.lineError', { line: error.line, field: error.field, detail: error.detail }) : t('bulk.lineErrorWhole', { line: error.line, detail: error.detail })}
                </List.Item>
              ))}
            </List>
          </Alert>
        )}
        <Group justify="end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" disabled={!sendable} loading={start.isPending}>
            {t(`bulk.send.${kind}`, { count: parsed.items.length, formatted: formatNumber(parsed.items.length) })}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** What the file holds: how many lines, the first few as they will be sent, and what to fix first. */
function Preview({ file }: { file: BulkFile }) {
  const { t } = useTranslation();
  if (file.lineCount === 0 && file.problems.length === 0) return null;
  const items: Record<string, unknown>[] = file.items.slice(0, previewLines);
  return (
    <Stack gap="xs">
      <Text size="sm" fw={600}>
        {t('bulk.lineCount', { count: file.lineCount, formatted: formatNumber(file.lineCount) })}{' '}
        {t('bulk.readyCount', { count: file.items.length, formatted: formatNumber(file.items.length) })}
      </Text>
      {file.ignoredColumns.length > 0 && <Text size="sm">{t('bulk.ignoredColumns', { columns: file.ignoredColumns.join(', ') })}</Text>}
      {file.problems.length > 0 && (
        <Alert color="red" title={t('bulk.problemsTitle')}>
          <List size="sm">
            {file.problems.slice(0, shownProblems).map((problem) => (
              <List.Item key={`${problem.line}-${problem.code}-${JSON.stringify(problem.params ?? {})}`}>
                {t(`bulk.problems.${problem.code}`, { ...problem.params, line: problem.line })}
              </List.Item>
            ))}
          </List>
          {file.problems.length > shownProblems && <Text size="sm">{t('bulk.moreProblems', { count: file.problems.length - shownProblems })}</Text>}
        </Alert>
      )}
      {items.length > 0 && (
        <Table.ScrollContainer minWidth={500}>
          <Table>
            <Table.Caption>{t('bulk.firstLines')}</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('bulk.csvLine')}</Table.Th>
                {file.columns.map((column) => (
                  <Table.Th key={column}>{column}</Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((item, index) => (
                <Table.Tr key={file.lines[index]}>
                  <Table.Td>{file.lines[index]}</Table.Td>
                  {file.columns.map((column) => (
                    <Table.Td key={column}>{item[column] === undefined ? '' : String(item[column])}</Table.Td>
                  ))}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

/** After the 202: the progress until the operation completes, then a summary and the failed lines. */
function BulkStarted({ initial, csvLines, onClose }: { initial: BulkOperation; csvLines: number[]; onClose(): void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const query = useBulkOperation(initial);
  const operation = query.data;
  const completed = operation.status === 'completed';
  useEffect(() => {
    if (!completed) return;
    // New members and balances: lists shown elsewhere are out of date now.
    void queryClient.invalidateQueries({ queryKey: ['members'] });
    void queryClient.invalidateQueries({ queryKey: ['bulk-operations'] });
  }, [completed, queryClient]);

  return (
    <Stack>
      <BulkProgress operation={operation} />
      <ProblemAlert error={query.error} />
      {completed ? (
        <Alert color={operation.failed > 0 ? 'yellow' : 'teal'} role="status" title={t('bulk.doneTitle')}>
          {t('bulk.done', { succeeded: formatNumber(operation.succeeded), total: formatNumber(operation.total), failed: formatNumber(operation.failed) })}
          {operation.failed > 0 && ` ${t('bulk.fixAndResend')}`}
        </Alert>
      ) : (
        <Text size="sm">
          {t('bulk.background')}{' '}
          <Anchor component={Link} to="/bulk-operations" onClick={onClose}>
            {t('nav.bulkOperations')}
          </Anchor>
          .
        </Text>
      )}
      <BulkFailures operation={operation} csvLines={csvLines} />
      <Group justify="end">
        <Button onClick={onClose}>{t('bulk.close')}</Button>
      </Group>
    </Stack>
  );
}
