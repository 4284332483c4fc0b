/**
 * What a referrer shares: the link, a message in their locale (en, nl; the programme's own messages override
 * the defaults) and ready share URLs for e-mail, WhatsApp, X and Facebook. Also how a referrer sees their
 * friends: names and addresses masked, so the referrer's view never discloses another member's personal data.
 */
import { referralLocales, type ReferralLocale } from './settings.js';

export const defaultShareMessages: Readonly<Record<ReferralLocale, { subject: string; body: string }>> = {
  en: { subject: 'A gift for you', body: 'Join me and get a welcome reward: {link} (code {code})' },
  nl: { subject: 'Een cadeautje voor jou', body: 'Doe mee en krijg een welkomstbeloning: {link} (code {code})' },
};

/** The member's locale as a share locale: `nl-BE` → nl; anything else → en. */
export function shareLocale(locale: string | null): ReferralLocale {
  const language = (locale ?? '').slice(0, 2).toLowerCase();
  return (referralLocales as readonly string[]).includes(language) ? (language as ReferralLocale) : 'en';
}

export interface ShareKit {
  link: string;
  locale: ReferralLocale;
  message: string;
  urls: { email: string; whatsapp: string; x: string; facebook: string };
}

function fill(template: string, link: string, code: string): string {
  return template.replaceAll('{link}', link).replaceAll('{code}', code);
}

export function shareKit(
  link: string,
  code: string,
  locale: string | null,
  messages: Partial<Record<ReferralLocale, string>> | null,
): ShareKit {
  const lang = shareLocale(locale);
  const message = fill(messages?.[lang] ?? defaultShareMessages[lang].body, link, code);
  // The message may not mention the link (a programme's own text); the URLs for e-mail and WhatsApp then
  // append it, so the friend always gets it. X and Facebook take the link as its own parameter.
  const withLink = message.includes(link) ? message : `${message} ${link}`;
  const enc = encodeURIComponent;
  return {
    link,
    locale: lang,
    message: withLink,
    urls: {
      email: `mailto:?subject=${enc(defaultShareMessages[lang].subject)}&body=${enc(withLink)}`,
      whatsapp: `https://wa.me/?text=${enc(withLink)}`,
      x: `https://x.com/intent/post?text=${enc(message.replaceAll(link, '').trim())}&url=${enc(link)}`,
      facebook: `https://www.facebook.com/sharer/sharer.php?u=${enc(link)}`,
    },
  };
}

/** "Anna de Vries" → "A*** d*** V***": the initial of each word. */
export function maskName(name: string): string {
  return name
    .trim()
    .split(/\s+/)
    .filter((word) => word.length > 0)
    .map((word) => `${[...word][0]}***`)
    .join(' ');
}

/** "anna@example.com" → "a***@example.com". */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${[...email][0]}***${email.slice(at)}`;
}

/** The landing page with `ref=CODE` added, keeping the page's own query and fragment. */
export function landingUrlWithCode(landingUrl: string, code: string): string {
  const url = new URL(landingUrl);
  url.searchParams.set('ref', code);
  return url.toString();
}
