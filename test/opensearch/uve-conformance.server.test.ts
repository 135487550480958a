import { describeUveConformance } from '../conformance/uve-suite.js';
import { describeUveTenancyConformance } from '../conformance/uve-tenancy-suite.js';
import { describeWithNode, dropPrefix, findOpenSearch, openTestStore, runPrefix } from './node.js';

// The UVE conformance suite against a real OpenSearch node, with the same
// assertions as the embedded store. Required in CI (test/opensearch/node.ts).
const node = await findOpenSearch();

describeWithNode('uve conformance: opensearch', node, () => {
  describeUveConformance('opensearch', async () => {
    const prefix = runPrefix('conf');
    const store = openTestStore(node.url, prefix, () => 1_795_000_000_000_000_000n);
    return {
      store,
      cleanup: async () => {
        await store.close();
        await dropPrefix(node.url, prefix);
      },
    };
  });
});

describeWithNode('uve tenancy conformance: opensearch', node, () => {
  describeUveTenancyConformance('opensearch', async () => {
    const prefix = runPrefix('tenancy');
    const store = openTestStore(node.url, prefix, () => 1_795_000_000_000_000_000n);
    return {
      store,
      cleanup: async () => {
        await store.close();
        await dropPrefix(node.url, prefix);
      },
    };
  });
});
