import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { formatDateTime, parseDateTime, type EpochNs } from '../model/index.js';

/**
 * DateTime: RFC 3339. Inside the gateway a time is epoch nanoseconds (bigint);
 * input strings are validated by the resolvers' model builders, which name
 * the argument in their errors, so parseValue only checks the shape.
 */
export const DateTimeScalar = new GraphQLScalarType<EpochNs | string, string>({
  name: 'DateTime',
  serialize: (v) => (typeof v === 'bigint' ? formatDateTime(v) : formatDateTime(parseDateTime(v, 'DateTime'))),
  parseValue: (v) => checked(() => (parseDateTime(v, 'DateTime'), v as string)),
  parseLiteral: (ast) => checked(() => (parseDateTime(stringLiteral(ast), 'DateTime'), stringLiteral(ast))),
});

/**
 * Duration: the scalar only checks that a string came; the model builders
 * parse it with the argument's name (`compareTo`, `range.last`, `every`),
 * so a bad literal is a BAD_USER_INPUT that says which argument is wrong.
 */
export const DurationScalar = new GraphQLScalarType<string, string>({
  name: 'Duration',
  serialize: (v) => String(v),
  parseValue: (v) => {
    if (typeof v !== 'string') throw new GraphQLError('Duration: expected a string such as "15m"');
    return v;
  },
  parseLiteral: (ast) => stringLiteral(ast),
});

const MAX_I64 = (1n << 63n) - 1n;
const MIN_I64 = -(1n << 63n);

/** Long: 64-bit signed; bigint inside, a JSON number outside, number or decimal string in. */
export const LongScalar = new GraphQLScalarType<bigint, number>({
  name: 'Long',
  serialize: (v) => Number(v as bigint),
  parseValue: (v) => toLong(v),
  parseLiteral: (ast) => {
    if (ast.kind === Kind.INT || ast.kind === Kind.STRING) return toLong(ast.kind === Kind.INT ? BigInt(ast.value) : ast.value);
    throw new GraphQLError('Long: expected an integer or a decimal string');
  },
});

function toLong(v: unknown): bigint {
  let n: bigint | undefined;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
  else if (typeof v === 'string' && /^-?[0-9]{1,20}$/.test(v)) n = BigInt(v);
  if (n === undefined) throw new GraphQLError(`Long: ${JSON.stringify(v)} is not an integer`);
  if (n > MAX_I64 || n < MIN_I64) throw new GraphQLError(`Long: ${n} is outside the 64-bit range`);
  return n;
}

/**
 * JSON: any JSON value. Numbers are doubles; an integer literal (or, through
 * the exact /graphql body parser, a variable) past 2^53-1 comes in as a
 * bigint, which a UVE document refuses (validateUveDocument).
 */
export const JsonScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: (ast, variables) => jsonLiteral(ast, variables ?? null),
});

function jsonLiteral(ast: ValueNode, variables: Record<string, unknown> | null): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT: {
      // graphql-js hands over the digits: one a double cannot hold stays exact, for validation to refuse by name.
      const n = Number(ast.value);
      return Number.isSafeInteger(n) ? n : BigInt(ast.value);
    }
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((v) => jsonLiteral(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, jsonLiteral(f.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[ast.name.value] ?? null;
    default:
      throw new GraphQLError('JSON: unsupported literal');
  }
}

function stringLiteral(ast: ValueNode): string {
  if (ast.kind !== Kind.STRING) throw new GraphQLError('expected a string literal');
  return ast.value;
}

function checked<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new GraphQLError((e as Error).message, { extensions: { code: 'BAD_USER_INPUT' } });
  }
}
