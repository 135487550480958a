/** The parent of GroupValue's resolvers: one grouping key's value in one group. */
export interface GroupValueParent {
  readonly key: string;
  readonly value: string | null;
  /** The UVE type the value names (vn -> virtual-network), if any. */
  readonly uveType: string | undefined;
}
