import { SegmentedControl } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { languages, setLanguage, type Language } from '../i18n';

export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  return (
    <SegmentedControl
      size="xs"
      aria-label={t('common.language')}
      value={i18n.language}
      onChange={(value) => setLanguage(value as Language)}
      data={languages.map((language) => ({ value: language, label: t(`languages.${language}`) }))}
    />
  );
}
