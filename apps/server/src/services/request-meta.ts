/** What a service records about the request that asked (audit events). */
export interface RequestMeta {
  ip: string | null;
}
