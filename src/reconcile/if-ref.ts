/** How a plan names an interface, and the resource name its operations depend on (./plan.ts orders by it). */

/** An interface as the executor finds it at run time: vppwg's by logical name (its sw_if_index may change), others by index. */
export type IfRef = { readonly owner: string } | { readonly swIfIndex: number; readonly name: string };

export function ifResource(ref: IfRef): string {
  return 'owner' in ref ? `if:${ref.owner}` : `if:${ref.name}`;
}

/** An interface as a plan's texts name it: vppwg's by logical name, others by VPP's name. */
export function ifLabel(ref: IfRef): string {
  return 'owner' in ref ? ref.owner : ref.name;
}
