import { Card, Text } from '@mantine/core';

/** One figure with its label, as a description list so a screen reader reads the label with the value. */
export function Kpi({ label, value }: { label: string; value: string }) {
  return (
    <Card withBorder component="dl" m={0}>
      <Text size="sm" c="dimmed" component="dt">
        {label}
      </Text>
      <Text fz="xl" fw={700} component="dd" m={0}>
        {value}
      </Text>
    </Card>
  );
}
