import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ROOT_FIELD_SCOPES, operationShape, scopeOf } from './access.js';
import { loadTypeDefs } from './schema.js';

const shape = (text: string) => {
  const doc = parse(text);
  return operationShape(doc, doc.definitions.find((d) => d.kind === 'OperationDefinition') as OperationDefinitionNode);
};

describe('root field scopes', () => {
  it('decide every root field of the schema', () => {
    const schema = buildSchema(loadTypeDefs());
    for (const [op, type] of [['query', schema.getQueryType()], ['mutation', schema.getMutationType()], ['subscription', schema.getSubscriptionType()]] as const) {
      for (const field of Object.keys(type?.getFields() ?? {})) {
        expect([op, field, Object.hasOwn(ROOT_FIELD_SCOPES[op], field)]).toEqual([op, field, true]);
      }
    }
  });

  it('close a field nobody decided on (admin)', () => {
    expect(scopeOf('query', 'somethingNew')).toBe('admin');
    expect(scopeOf('query', 'viewer')).toBeNull();
    expect(scopeOf('mutation', 'deleteUve')).toBe('admin');
    expect(scopeOf('mutation', 'upsertUve')).toBe('ingest');
  });
});

describe('operationShape', () => {
  it('counts each root field and alias, compareTo, series and nested UVE lookups', () => {
    expect(shape('{ a: uveTypes b: uveTypes viewer { name } __typename }').cost).toBe(2);
    expect(shape('{ sessionTraffic(range: {last: "1h"}) { totalCount } }').cost).toBe(1);
    expect(shape('{ sessionTraffic(range: {last: "1h"}, compareTo: "1d") { totalCount } }').cost).toBe(2);
    expect(shape('{ sessionSeries(range: {last: "1h"}, every: "5m") { meta { tier } } }').cost).toBe(2);
    expect(shape('{ sessionTraffic(range: {last: "1h"}) { nodes { group { uve { name } } } } }').cost).toBe(2);
  });

  it('follows fragments and inline fragments, each spread counting again', () => {
    const s = shape('query { ...F ...F ... on Query { uve(type: "a", name: "b") { name } } } fragment F on Query { x: uveTypes y: uveTypes }');
    expect(s.cost).toBe(5);
    expect(s.rootFields.map((f) => f.alias?.value ?? f.name.value)).toEqual(['x', 'y', 'x', 'y', 'uve']);
  });

  it('measures depth through fragments, leaving introspection out', () => {
    expect(shape('{ uveTypes }').depth).toBe(1);
    expect(shape('{ sessionTraffic(range: {last: "1h"}) { nodes { group { uve { name } } } } }').depth).toBe(5);
    expect(shape('query { sessionTraffic(range: {last: "1h"}) { ...N } } fragment N on TrafficGroupConnection { nodes { ...G } } fragment G on TrafficGroup { group { key } }').depth).toBe(4);
    expect(shape('{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }').depth).toBe(1);
  });
});
