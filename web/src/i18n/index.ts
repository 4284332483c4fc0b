/**
 * English and Dutch for both apps. Every visible string lives in en.json / nl.json (a test keeps their keys
 * equal); components only call `t()`. The language starts from what the user chose last, else the browser's,
 * and the portal switches to the member's own locale once it knows it.
 */
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './en.json';
import nl from './nl.json';

export const languages = ['en', 'nl'] as const;
export type Language = (typeof languages)[number];

const storageKey = 'trouw.language';

/** Maps a locale such as `nl-BE` to a language we have, or null. */
export function languageOf(locale: string | null | undefined): Language | null {
  const base = locale?.toLowerCase().split('-')[0];
  return (languages as readonly string[]).includes(base ?? '') ? (base as Language) : null;
}

function initialLanguage(): Language {
  let stored: string | null = null;
  try {
    stored = window.localStorage.getItem(storageKey);
  } catch {
    // Storage can be blocked (third-party iframe, privacy mode); the browser language still works.
  }
  return languageOf(stored) ?? languageOf(window.navigator.language) ?? 'en';
}

export function setLanguage(language: Language, remember = true): void {
  if (remember) {
    try {
      window.localStorage.setItem(storageKey, language);
    } catch {
      // See initialLanguage: not remembering is fine.
    }
  }
  void i18n.changeLanguage(language);
  document.documentElement.lang = language;
}

void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, nl: { translation: nl } },
  lng: initialLanguage(),
  fallbackLng: 'en',
  interpolation: { escapeValue: false },
  returnNull: false,
});

export default i18n;
