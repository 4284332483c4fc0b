/**
 * Guarding rule expressions (cost.ts says why): the static checks made when a rule is saved, and the form in
 * which a checked expression is evaluated.
 *
 * The CEL library has no step counter and its `matches` is JavaScript's backtracking RegExp, and it lets no
 * built-in function be replaced. So a condition is evaluated in a second form, written out from its syntax
 * tree, that differs from what the admin wrote only in calls to functions of ours:
 * - the body of each comprehension is gated: `l.all(x, P)` becomes `l.all(x, __ok(w) ? (P) : false)`, where
 *   `__ok` spends `w` steps (the body's size) and answers false once the budget is exhausted. `false` stops
 *   `all`, `true` stops `exists`; the others (`exists_one`, `map`, `filter`) stop on `__halt()`, which throws.
 *   (`all` and `exists` swallow an error of their body and go on to the next element, so a throw alone would
 *   not stop them.)
 * - an operand whose size decides what an operation costs (both sides of a comparison of two values that are
 *   not literals, the operands of `+`, the right side of `in`, the receiver and arguments of a function) is
 *   wrapped in `__c(…)`, which spends the value's size (cost.ts, `valueSize`) and returns it unchanged;
 * - `s.matches(p)` becomes `__re2(s, p)`: RE2, linear in `s`, spending `s`'s length.
 * The second form is type-checked like the first, so a function of ours can only change what an expression
 * costs, never what it means; `guard.test.ts` compares both forms on the same inputs.
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import { collectionBound, maxComprehensionNesting, maxRuleSteps } from './cost.js';
import { compilePattern } from './regex.js';

/** The syntax tree as the parser builds it; `op` decides the shape of `args` (see the library's index.d.ts). */
interface Node {
  readonly op: string;
  readonly args: unknown;
}

const comprehensions = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);
const comparisons = new Set(['==', '!=', '<', '<=', '>', '>=']);
const arithmetic = new Set(['-', '*', '/', '%', '&&', '||']);

/** What the static checks found: a reason to refuse the expression, or its flat size and estimate. */
export type ExpressionReview = { ok: true; steps: number; estimate: number } | { ok: false; reason: string };

/**
 * The static checks of a type-checked expression: no `cel.bind`, `matches` patterns that are string literals
 * RE2 accepts, comprehensions nested at most `maxComprehensionNesting` deep, and an estimate of at most
 * `maxRuleSteps` steps. `steps` is what one evaluation spends outside comprehension bodies.
 */
export function reviewExpression(root: ASTNode): ExpressionReview {
  const node = root as unknown as Node;
  const reason = refusal(node, 0);
  if (reason !== null) return { ok: false, reason };
  const estimate = estimateSteps(node);
  if (estimate > maxRuleSteps) {
    return {
      ok: false,
      reason:
        `The condition could take up to ${estimate} evaluation steps for one event (counting ${collectionBound} ` +
        `elements for every list it cannot see); at most ${maxRuleSteps} are allowed. Iterate over fewer or smaller lists.`,
    };
  }
  return { ok: true, steps: flatSteps(node), estimate };
}

/** The expression in the form that is evaluated (this module's header); throws on a construct it does not know. */
export function instrumentedSource(root: ASTNode): string {
  return emit(root as unknown as Node);
}

function refusal(node: Node, nesting: number): string | null {
  if (isCall(node, 'bind', 3) && isIdentifier(receiverOf(node), 'cel')) {
    return 'cel.bind is not available in rule conditions.';
  }
  if (node.op === 'rcall' && methodName(node) === 'matches') {
    const [pattern] = argumentsOf(node);
    if (pattern === undefined || pattern.op !== 'value' || typeof pattern.args !== 'string') {
      return 'The pattern of matches() must be a string literal, so that it can be checked when the rule is saved.';
    }
    const compiled = compilePattern(pattern.args);
    if (!compiled.ok) return `matches("${truncate(pattern.args)}"): ${compiled.reason}`;
  }
  const inner = isComprehension(node) ? nesting + 1 : nesting;
  if (inner > maxComprehensionNesting) {
    return `Comprehensions (all, exists, exists_one, map, filter) may be nested at most ${maxComprehensionNesting} deep.`;
  }
  for (const child of children(node)) {
    const found = refusal(child, inner);
    if (found !== null) return found;
  }
  return null;
}

/** Steps if every comprehension ran over its literal's elements, or `collectionBound` of them otherwise. */
function estimateSteps(node: Node): number {
  if (!isComprehension(node)) return 1 + sum(children(node).map(estimateSteps));
  const receiver = receiverOf(node);
  const body = argumentsOf(node).slice(1);
  return 1 + estimateSteps(receiver) + elementBound(receiver) * sum(body.map(estimateSteps));
}

/** Steps of one evaluation of `node`, leaving out comprehension bodies (they spend their own, per element). */
function flatSteps(node: Node): number {
  if (isComprehension(node)) return 2 + flatSteps(receiverOf(node));
  return 1 + sum(children(node).map(flatSteps));
}

function elementBound(receiver: Node): number {
  if (receiver.op === 'list' || receiver.op === 'map') return (receiver.args as unknown[]).length;
  return collectionBound;
}

function emit(node: Node): string {
  const { op } = node;
  switch (op) {
    case 'value':
      return literal(node.args);
    case 'id':
      return node.args as string;
    case '.':
    case '.?': {
      const [object, field] = node.args as [Node, string];
      return `${group(object)}${op}${field}`;
    }
    case '[]':
    case '[?]': {
      const [object, index] = node.args as [Node, Node];
      return `${group(object)}[${op === '[?]' ? '?' : ''}${emit(index)}]`;
    }
    case 'call': {
      const [name, args] = node.args as [string, Node[]];
      // has() is a macro over a field selection, which it must see as written.
      if (name === 'has') return `has(${args.map(emit).join(', ')})`;
      return `${name}(${args.map(charged).join(', ')})`;
    }
    case 'rcall':
      return emitMethod(node);
    case 'list':
      return `[${(node.args as Node[]).map(emit).join(', ')}]`;
    case 'map':
      return `{${(node.args as [Node, Node][]).map(([key, value]) => `${emit(key)}: ${emit(value)}`).join(', ')}}`;
    case '?:': {
      const [condition, then, otherwise] = node.args as [Node, Node, Node];
      return `(${emit(condition)}) ? (${emit(then)}) : (${emit(otherwise)})`;
    }
    case '!_':
      return `!(${emit(node.args as Node)})`;
    case '-_': {
      const operand = node.args as Node;
      return operand.op === 'value' ? `-${emit(operand)}` : `-(${emit(operand)})`;
    }
    case 'in': {
      const [element, collection] = node.args as [Node, Node];
      if (isLiteral(collection)) return `(${emit(element)}) in ${emit(collection)}`;
      return `(${charged(element)}) in (${charged(collection)})`;
    }
    case '+': {
      const [left, right] = node.args as [Node, Node];
      return `(${charged(left)}) + (${charged(right)})`;
    }
  }
  if (comparisons.has(op)) {
    const [left, right] = node.args as [Node, Node];
    // Against a literal, a comparison costs at most the literal's size, which the source already bounds.
    if (isLiteral(left) || isLiteral(right)) return `(${emit(left)}) ${op} (${emit(right)})`;
    return `(${charged(left)}) ${op} (${charged(right)})`;
  }
  if (arithmetic.has(op)) {
    const [left, right] = node.args as [Node, Node];
    return `(${emit(left)}) ${op} (${emit(right)})`;
  }
  throw new Error(`The rule condition uses a construct (${op}) that cannot be evaluated within its budget.`);
}

function emitMethod(node: Node): string {
  const name = methodName(node);
  const receiver = receiverOf(node);
  const args = argumentsOf(node);
  if (isComprehension(node)) {
    const [variable, ...body] = args as [Node, ...Node[]];
    const weight = sum(body.map(flatSteps));
    const stop = name === 'all' ? 'false' : name === 'exists' ? 'true' : '__halt()';
    const [first, ...rest] = body as [Node, ...Node[]];
    const gated = `__ok(${weight}) ? (${emit(first)}) : ${stop}`;
    return `${group(receiver)}.${name}(${[emit(variable), gated, ...rest.map(emit)].join(', ')})`;
  }
  if (name === 'matches' && args.length === 1) return `__re2(${emit(receiver)}, ${emit(args[0] as Node)})`;
  if (isCall(node, 'bind', 3) && isIdentifier(receiver, 'cel')) throw new Error('cel.bind is not available in rule conditions.');
  // size() reads a length: it costs one step whatever the size.
  if (name === 'size' && args.length === 0) return `${group(receiver)}.size()`;
  const target = isLiteral(receiver) ? group(receiver) : `__c(${emit(receiver)})`;
  return `${target}.${name}(${args.map(charged).join(', ')})`;
}

function charged(node: Node): string {
  return isLiteral(node) ? emit(node) : `__c(${emit(node)})`;
}

function group(node: Node): string {
  return node.op === 'id' ? emit(node) : `(${emit(node)})`;
}

function literal(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return value < 0n ? `(${value})` : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('The rule condition has a number literal out of range.');
    const text = String(value);
    const written = /[.e]/.test(text) ? text : `${text}.0`;
    return value < 0 ? `(${written})` : written;
  }
  // The library's UnsignedInt (a `1u` literal), which its type declarations do not export.
  if (typeof value === 'object' && value.constructor.name === 'UnsignedInt') {
    return `${String(value)}u`;
  }
  if (value instanceof Uint8Array) return `b"${[...value].map((byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('')}"`;
  throw new Error('The rule condition has a literal of an unknown kind.');
}

function isLiteral(node: Node): boolean {
  switch (node.op) {
    case 'value':
      return true;
    case '-_':
      return isLiteral(node.args as Node);
    case 'list':
      return (node.args as Node[]).every(isLiteral);
    case 'map':
      return (node.args as [Node, Node][]).every(([key, value]) => isLiteral(key) && isLiteral(value));
    default:
      return false;
  }
}

function isComprehension(node: Node): boolean {
  if (node.op !== 'rcall' || !comprehensions.has(methodName(node))) return false;
  const args = argumentsOf(node);
  return args.length >= 2 && args[0]?.op === 'id';
}

function isCall(node: Node, name: string, arity: number): boolean {
  return node.op === 'rcall' && methodName(node) === name && argumentsOf(node).length === arity;
}

function isIdentifier(node: Node, name: string): boolean {
  return node.op === 'id' && node.args === name;
}

function methodName(node: Node): string {
  return (node.args as [string, Node, Node[]])[0];
}

function receiverOf(node: Node): Node {
  return (node.args as [string, Node, Node[]])[1];
}

function argumentsOf(node: Node): Node[] {
  return (node.args as [string, Node, Node[]])[2];
}

/** The sub-expressions of a node, whatever the shape of its `args`. */
function children(node: Node): Node[] {
  const found: Node[] = [];
  const visit = (value: unknown): void => {
    if (isNode(value)) found.push(value);
    else if (Array.isArray(value)) for (const element of value as unknown[]) visit(element);
  };
  if (node.op !== 'value' && node.op !== 'id') visit(node.args);
  return found;
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && 'op' in value && 'args' in value;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function truncate(text: string): string {
  return text.length <= 60 ? text : `${text.slice(0, 57)}...`;
}
