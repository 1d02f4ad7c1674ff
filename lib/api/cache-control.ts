/** The sessions APIs' answers name devices, IPs and places: no browser or proxy cache keeps them. */
export const NO_STORE = 'no-store';
