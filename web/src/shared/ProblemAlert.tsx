import { Alert } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ProblemError } from '../api/problem';

/**
 * Shows an API error: a translated sentence for the codes a screen expects (`problems.<code>`), else the
 * server's own detail, which is written for humans too.
 */
export function ProblemAlert({ error, title }: { error: unknown; title?: string }) {
  const { t, i18n } = useTranslation();
  if (!error) return null;
  let message: string;
  if (error instanceof ProblemError) {
    const key = `problems.${error.code}`;
    message = i18n.exists(key) ? t(key) : (error.problem.detail ?? error.problem.title);
  } else {
    message = t('common.networkError');
  }
  return (
    <Alert color="red" role="alert" title={title ?? t('common.error')}>
      {message}
    </Alert>
  );
}

/** The detail of the field error at `pointer`, for showing under that input. */
export function fieldError(error: unknown, pointer: string): string | undefined {
  if (!(error instanceof ProblemError)) return undefined;
  return error.problem.errors?.find((item) => item.pointer === pointer)?.detail;
}

/**
 * The field errors of a problem as @mantine/form errors: `/levels/2/threshold` becomes `levels.2.threshold`.
 * `path` may move a pointer onto the input that shows it (a list's item onto the list's input); errors without
 * a pointer are left to ProblemAlert.
 */
export function formErrors(error: unknown, path: (dotted: string) => string = (dotted) => dotted): Record<string, string> {
  if (!(error instanceof ProblemError)) return {};
  const errors: Record<string, string> = {};
  for (const item of error.problem.errors ?? []) {
    if (!item.pointer) continue;
    const key = path(item.pointer.slice(1).split('/').join('.'));
    errors[key] ??= item.detail;
  }
  return errors;
}
