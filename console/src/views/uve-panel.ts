import type { GraphQLClient } from '../client.js';
import { UveDocumentDocument } from '../generated/graphql.js';
import { el } from '../format.js';

/** The UVE of a clicked VN or interface: uve(type, name) in the side panel. */
export async function uvePanel(client: GraphQLClient, uve: { type: string; name: string }, box: HTMLElement, signal: AbortSignal): Promise<void> {
  const data = await client.request(UveDocumentDocument, uve, signal);
  const doc = data.uve;
  if (doc === null) {
    box.replaceChildren(el('p', { class: 'empty', 'data-testid': 'uve-missing' }, `No ${uve.type} UVE named ${uve.name}.`));
    return;
  }
  box.replaceChildren(
    el('p', { 'data-testid': 'uve-name' }, el('b', {}, doc.type), ' ', doc.name),
    el('p', {}, `updated ${doc.updatedAt ?? 'never'}; structs: ${doc.structs.join(', ') || 'none'}`),
    el('pre', { class: 'json', 'data-testid': 'uve-json' }, JSON.stringify(doc.value, null, 2)),
  );
}
