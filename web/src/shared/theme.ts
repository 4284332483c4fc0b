import { createTheme } from '@mantine/core';

// Focus rings on keyboard focus everywhere (WCAG 2.4.7); Mantine's default hides them for mouse users only.
export const theme = createTheme({
  primaryColor: 'teal',
  focusRing: 'auto',
  defaultRadius: 'md',
});
