import { createTheme, type CSSVariablesResolver, type MantineColorsTuple } from '@mantine/core';

/**
 * Mantine's teal, its two darkest shades darkened one step: filled buttons (white on shade 9), links and the
 * light variant (shade 9 on shade 1: badges, the active menu entry) then reach WCAG AA's 4.5:1, which Mantine's
 * own teal does not (white on teal-6 is 2.5:1; teal-9 on teal-1 is 4.3:1). Checked by the axe-core e2e suite.
 */
const teal: MantineColorsTuple = ['#e6fcf5', '#c3fae8', '#96f2d7', '#63e6be', '#38d9a9', '#20c997', '#12b886', '#0ca678', '#087f5b', '#06694b'];
/** Yellow and orange are status colours (failed lines, flagged referrals, held awards): their darkest shades made readable the same way. */
const yellow: MantineColorsTuple = ['#fff9db', '#fff3bf', '#ffec99', '#ffe066', '#ffd43b', '#fcc419', '#fab005', '#f59f00', '#a35c00', '#8f4e00'];
const orange: MantineColorsTuple = ['#fff4e6', '#ffe8cc', '#ffd8a8', '#ffc078', '#ffa94d', '#ff922b', '#fd7e14', '#f76707', '#c2490c', '#a8400c'];

// Focus rings on keyboard focus everywhere (WCAG 2.4.7); Mantine's default hides them for mouse users only.
export const theme = createTheme({
  colors: { teal, yellow, orange },
  primaryColor: 'teal',
  primaryShade: { light: 9, dark: 8 },
  focusRing: 'auto',
  defaultRadius: 'md',
});

/** Dimmed text at 5.8:1 on white (Mantine's gray-6 is 3.3:1, below AA for body text). */
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': '#5f6670' },
  dark: {},
});
