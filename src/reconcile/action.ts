/**
 * What an operation does to its object (`adopt`: made outside vppwg, taken over as it is), and the sign a plan prints for it, as one fact (terraform's
 * `Create Action = '+'`): operation ids and plan text both take the sign from here.
 */
export const ACTION_SIGNS = { create: '+', delete: '-', modify: '~', adopt: '=' } as const;

export type Action = keyof typeof ACTION_SIGNS;
export type ActionSign = (typeof ACTION_SIGNS)[Action];

export function signOf(action: Action): ActionSign {
  return ACTION_SIGNS[action];
}
