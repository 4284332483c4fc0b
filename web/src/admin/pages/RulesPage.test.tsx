import { fireEvent, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { renderWithProviders, stubApi } from '../../test-utils';
import { RuleForm, RulesPage } from './RulesPage';

// The page talks through the shared admin client, which takes the global fetch when it is first made; route it
// through a stub each test can swap.
let current = stubApi({});
vi.stubGlobal('fetch', (request: Request) => current.fetch(request));

// jsdom has no FontFaceSet; Mantine's autosizing textarea listens on it. (test-setup.ts is the better home for this.)
if (!('fonts' in document)) {
  Object.defineProperty(document, 'fonts', { value: { addEventListener: () => undefined, removeEventListener: () => undefined } });
}

const conditionProblem = {
  title: 'Unprocessable Content',
  status: 422,
  code: 'rule_condition_invalid',
  detail: 'The rule is not valid.',
  errors: [{ pointer: '/rule/condition', detail: "Syntax error: mismatched input '<EOF>' at 1:15" }],
};

const tries = () => current.requests.filter((request) => request.url.endsWith('/v1/rules/try'));

function conditionField() {
  return screen.getByLabelText('Condition (CEL)') as HTMLTextAreaElement;
}

describe('earn-rule editor', () => {
  beforeEach(() => {
    current = stubApi({});
  });

  it('checks the condition as you type: shows the parser message for a 422 and clears it on a valid answer', async () => {
    current = stubApi({ 'POST /v1/rules/try': { status: 422, body: conditionProblem } });
    renderWithProviders(<RuleForm rule={null} onDone={() => undefined} />);
    fireEvent.change(conditionField(), { target: { value: 'member.tier ==' } });

    const message = await screen.findByText(/Syntax error: mismatched input/, undefined, { timeout: 2000 });
    const field = conditionField();
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(field.getAttribute('aria-describedby')?.split(' ')).toContain(message.id);
    // One request after the pause, with the form's rule and a sample event of its trigger.
    expect(tries()).toHaveLength(1);
    const body = (await tries()[0]!.clone().json()) as { rule: { condition: string; trigger: string; effects: unknown[] }; event: { type: string } };
    expect(body.rule).toMatchObject({ condition: 'member.tier ==', trigger: 'purchase', effects: [{ type: 'points', amount: 10 }] });
    expect(body.event.type).toBe('purchase');

    current = stubApi({ 'POST /v1/rules/try': { status: 200, body: { matched: false, points: 0, reason: 'condition' } } });
    fireEvent.change(conditionField(), { target: { value: "member.tier == 'Goud'" } });
    await waitFor(() => expect(screen.queryByText(/Syntax error/)).toBeNull(), { timeout: 2000 });
    expect(conditionField().getAttribute('aria-invalid')).not.toBe('true');
    expect(tries()).toHaveLength(1);
  });

  it('waits for a pause in typing and asks once, about the latest text', async () => {
    current = stubApi({ 'POST /v1/rules/try': { status: 200, body: { matched: true, points: 10, reason: null } } });
    renderWithProviders(<RuleForm rule={null} onDone={() => undefined} />);
    for (const text of ['e', 'ev', 'event.type', "event.type == 'purchase'"]) fireEvent.change(conditionField(), { target: { value: text } });
    await waitFor(() => expect(tries()).toHaveLength(1), { timeout: 2000 });
    expect(((await tries()[0]!.clone().json()) as { rule: { condition: string } }).rule.condition).toBe("event.type == 'purchase'");
  });

  it('the try panel sends the sample event and member and shows the points', async () => {
    current = stubApi({ 'POST /v1/rules/try': { status: 200, body: { matched: true, points: 40, reason: null } } });
    renderWithProviders(<RuleForm rule={null} onDone={() => undefined} />);
    fireEvent.change(screen.getByLabelText(/^Total/), { target: { value: '20.50' } });
    fireEvent.change(screen.getByLabelText(/^Sample member tier/), { target: { value: 'Goud' } });
    fireEvent.change(screen.getByLabelText(/^Member attributes/), { target: { value: '{"vip": true}' } });
    fireEvent.click(screen.getByRole('button', { name: 'Try it' }));

    expect((await screen.findByRole('status')).textContent).toContain('It would award 40 points');
    const body = (await tries().at(-1)!.clone().json()) as Record<string, unknown>;
    expect(body).toMatchObject({ event: { type: 'purchase', data: { total: 2050 } }, member: { tier: 'Goud', attributes: { vip: true } } });
  });

  it('the try panel says why a rule does not match, and refuses data that is not JSON before asking', async () => {
    current = stubApi({ 'POST /v1/rules/try': { status: 200, body: { matched: false, points: 0, reason: 'trigger' } } });
    renderWithProviders(<RuleForm rule={null} onDone={() => undefined} />);
    fireEvent.change(screen.getByLabelText(/^Other event data/), { target: { value: '{nope' } });
    fireEvent.click(screen.getByRole('button', { name: 'Try it' }));
    expect(await screen.findByText('This is not valid JSON.')).toBeTruthy();
    expect(tries()).toHaveLength(0);

    fireEvent.change(screen.getByLabelText(/^Other event data/), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Sample event type'), { target: { value: 'review' } });
    fireEvent.click(screen.getByRole('button', { name: 'Try it' }));
    expect((await screen.findByRole('status')).textContent).toContain("The event type is not the rule's trigger.");
  });

  it('the try panel says a rule went over its cost bound, with the reason', async () => {
    const failure = 'The rule needed more than 100000 evaluation steps for this event, so it was stopped.';
    current = stubApi({ 'POST /v1/rules/try': { status: 200, body: { matched: false, points: 0, reason: 'failed', failure } } });
    renderWithProviders(<RuleForm rule={null} onDone={() => undefined} />);
    fireEvent.click(screen.getByRole('button', { name: 'Try it' }));
    const status = await screen.findByRole('status');
    expect(status.textContent).toContain('went over its cost bound');
    expect(status.textContent).toContain(failure);
  });
});

describe('earn-rule list', () => {
  const rule = (id: string, failures: Record<string, unknown>) => ({
    id, version: 2, name: `rule ${id}`, trigger: 'purchase', condition: null, effects: [{ type: 'points', amount: 1 }], limits: null,
    validFrom: null, validUntil: null, priority: 0, stackable: true, active: true, createdAt: '2026-03-01T00:00:00Z', failures,
  });

  it("shows how often each rule failed on events, when and why it last did", async () => {
    current = stubApi({
      'GET /v1/rules': {
        status: 200,
        body: {
          data: [
            rule('rul_ok', { count: 0, lastAt: null, lastReason: null, lastVersion: null }),
            rule('rul_costly', { count: 3, lastAt: '2026-03-15T12:00:00Z', lastReason: 'The rule needed more than 100000 evaluation steps.', lastVersion: 2 }),
          ],
          nextCursor: null,
        },
      },
    });
    renderWithProviders(<RulesPage />);
    expect(await screen.findByText('3 failures')).toBeTruthy();
    expect(screen.getByText('The rule needed more than 100000 evaluation steps.')).toBeTruthy();
    expect(screen.getByText(/version 2/)).toBeTruthy();
    expect(screen.getByText('None')).toBeTruthy();
  });
});
