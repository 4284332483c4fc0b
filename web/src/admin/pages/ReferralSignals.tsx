/**
 * A referral's fraud evidence as a reviewer reads it. Each stored signal is `{signal, weight, stage, evidence}`
 * (src/domain/fraud/referral-risk.ts, kept per check by services/referrals/lifecycle.ts): the signal gets its
 * translated name and what makes it fire, its weight, the check it came from, and its evidence as labelled
 * values (a masked address, a truncated keyed hash of an IP or device, counts against their limit, the linked
 * accounts as links to their pages). The server may learn signals or evidence this page does not know yet;
 * those are still shown as labelled values, never as JSON.
 */
import type { ReactNode } from 'react';
import { Badge, Code, DataList, Group, List, Stack, Text } from '@mantine/core';
import type { TFunction } from 'i18next';
import { Link } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { formatMoney, formatNumber } from '../../shared/format';

/** The signal codes of domain/fraud/referral-risk.ts (`referralSignals`) that have words in en.json and nl.json. */
const knownSignals = new Set([
  'same_email_as_referrer',
  'email_matches_other_member',
  'disposable_email',
  'same_device_as_referrer',
  'same_ip_as_referrer',
  'code_velocity',
  'ip_velocity',
  'referral_ring',
  'qualifying_order_refunded',
]);

/** Evidence keys with a label of their own; any other key is labelled by its name in words. */
const knownEvidence = new Set(['canonicalEmail', 'memberIds', 'domain', 'deviceId', 'ip', 'signups', 'max', 'windowMinutes', 'links', 'orderId', 'refundedMinor']);

const stages = new Set(['signup', 'qualification']);

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `windowMinutes`, `ip_hash` or `new_signal` in words: "Window minutes", "Ip hash", "New signal". */
export function inWords(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Any value as text or a list, recursively: the fallback for evidence this page has no words for. */
function PlainValue({ value }: { value: unknown }): ReactNode {
  const { t } = useTranslation();
  if (value === null || value === undefined || value === '') return '–';
  if (typeof value === 'boolean') return value ? t('common.yes') : t('common.no');
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    if (value.length === 0) return '–';
    if (value.every((item) => !isObject(item) && !Array.isArray(item))) return value.map((item) => (typeof item === 'number' ? formatNumber(item) : String(item))).join(', ');
    return (
      <List size="sm">
        {value.map((item, index) => (
          <List.Item key={index}>
            <PlainValue value={item} />
          </List.Item>
        ))}
      </List>
    );
  }
  if (isObject(value)) return <LabelledValues values={value} />;
  return String(value);
}

/** A key: value list of an object, each key in words. */
export function LabelledValues({ values }: { values: Json }) {
  return (
    <DataList size="sm" gap={4} labelWidth={180}>
      {Object.entries(values).map(([key, value]) => (
        <DataList.Item key={key}>
          <DataList.ItemLabel>{inWords(key)}</DataList.ItemLabel>
          <DataList.ItemValue>
            <PlainValue value={value} />
          </DataList.ItemValue>
        </DataList.Item>
      ))}
    </DataList>
  );
}

function MemberLinks({ ids }: { ids: unknown }) {
  if (!Array.isArray(ids)) return <PlainValue value={ids} />;
  return (
    <Group gap="xs">
      {ids.map((id) => (
        <Link key={String(id)} to={`/members/${String(id)}`}>
          {String(id)}
        </Link>
      ))}
    </Group>
  );
}

/** How ring members are linked: `ringLinkOf` writes "mbr_… up 2 links, same device"; said in the page's language. */
function RingLinks({ links }: { links: unknown }) {
  const { t } = useTranslation();
  if (!Array.isArray(links)) return <PlainValue value={links} />;
  return (
    <List size="sm">
      {links.map((link, index) => {
        const parts = /^(\S+) (up|down) (\d+) links?, same (device|IP)$/.exec(String(link));
        return (
          <List.Item key={index}>
            {parts
              ? t(`referralSignals.ring.${parts[2]}`, {
                  member: parts[1],
                  count: Number(parts[3]),
                  shared: t(parts[4] === 'IP' ? 'referralSignals.ring.sameIp' : 'referralSignals.ring.sameDevice'),
                })
              : String(link)}
          </List.Item>
        );
      })}
    </List>
  );
}

function evidenceValue(t: TFunction, key: string, value: unknown, currency: string | undefined): ReactNode {
  switch (key) {
    case 'memberIds':
      return <MemberLinks ids={value} />;
    case 'links':
      return <RingLinks links={value} />;
    case 'ip':
    case 'deviceId':
      return typeof value === 'string' ? <Code>{value}</Code> : <PlainValue value={value} />;
    case 'windowMinutes':
      return typeof value === 'number' ? t('referralSignals.minutes', { count: value }) : <PlainValue value={value} />;
    case 'refundedMinor':
      if (typeof value !== 'number') return <PlainValue value={value} />;
      return currency ? formatMoney(value, currency) : t('referralSignals.minorUnits', { value: formatNumber(value) });
    default:
      return <PlainValue value={value} />;
  }
}

function Evidence({ evidence, currency }: { evidence: unknown; currency: string | undefined }) {
  const { t } = useTranslation();
  if (!isObject(evidence)) return evidence === undefined ? null : <PlainValue value={evidence} />;
  const entries = Object.entries(evidence);
  if (entries.length === 0) return null;
  return (
    <DataList size="sm" gap={4} labelWidth={180}>
      {entries.map(([key, value]) => (
        <DataList.Item key={key}>
          <DataList.ItemLabel>{knownEvidence.has(key) ? t(`referralSignals.evidence.${key}`) : inWords(key)}</DataList.ItemLabel>
          <DataList.ItemValue>{knownEvidence.has(key) ? evidenceValue(t, key, value, currency) : <PlainValue value={value} />}</DataList.ItemValue>
        </DataList.Item>
      ))}
    </DataList>
  );
}

/** The fired signals of a referral's checks, with the score of the latest one. */
export function ReferralSignals({ score, signals, currency }: { score: number; signals: Json[]; currency: string | undefined }) {
  const { t } = useTranslation();
  return (
    <Stack gap="xs">
      <Text size="sm" fw={600}>
        {t('referralSignals.score', { score: formatNumber(score) })}
      </Text>
      {signals.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('referralSignals.none')}
        </Text>
      ) : (
        <Stack component="ul" gap="sm" m={0} p={0} style={{ listStyle: 'none' }} aria-label={t('referrals.signals')}>
          {signals.map((signal, index) => {
            const code = typeof signal.signal === 'string' ? signal.signal : typeof signal.name === 'string' ? signal.name : null;
            const known = code !== null && knownSignals.has(code);
            const { signal: _signal, name: _name, weight, stage, evidence, ...rest } = signal;
            return (
              <Stack component="li" key={index} gap={4}>
                <Group gap="xs">
                  <Text size="sm" fw={600}>
                    {known ? t(`referralSignals.codes.${code}.label`) : code ? inWords(code) : t('referrals.signal')}
                  </Text>
                  {typeof weight === 'number' && (
                    <Badge variant="light" color="orange">
                      {t('referralSignals.weight', { weight: formatNumber(weight) })}
                    </Badge>
                  )}
                  {typeof stage === 'string' && (
                    <Text size="xs" c="dimmed">
                      {stages.has(stage) ? t(`referralSignals.stages.${stage}`) : inWords(stage)}
                    </Text>
                  )}
                </Group>
                {known && (
                  <Text size="sm" c="dimmed">
                    {t(`referralSignals.codes.${code}.hint`)}
                  </Text>
                )}
                <Evidence evidence={evidence} currency={currency} />
                {/* Whatever else a newer server stores on a signal. */}
                {Object.keys(rest).length > 0 && <LabelledValues values={rest} />}
              </Stack>
            );
          })}
        </Stack>
      )}
    </Stack>
  );
}
