import { Name } from '@netbroker/contracts';
import { serviceEnv } from '@netbroker/runtime';
import { z } from 'zod';

/** Where a router's outside end plugs in: a bridge, in a network namespace (absent: the agent's own). */
const Segment = z.object({ netns: z.string().min(1).max(200).optional(), bridge: z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/, 'an interface name of at most 15 characters') }).strict();

const jsonOf = <T extends z.ZodType>(schema: T) =>
  z.string().transform((text, ctx) => {
    try {
      return schema.parse(JSON.parse(text)) as z.infer<T>;
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `must be JSON of the documented shape: ${e instanceof Error ? e.message.slice(0, 300) : String(e)}` });
      return z.NEVER;
    }
  });

export const RouterAgentConfig = z.object({
  ...serviceEnv,
  /** Router namespaces are `<prefix><hash>`; the agent deletes namespaces of this prefix that are not planned. */
  NETNS_PREFIX: z.string().regex(/^[a-z0-9-]{1,16}$/).default('nbr-'),
  /**
   * The bridge of each project's network on this gateway, where its router's `lan` plugs in (at
   * most 15 characters once `{tenant}`, `{project}` and `{hash}`, 10 hex digits of the project
   * key, are replaced); and the namespace it lives in, if not the agent's (the same placeholders).
   */
  PROJECT_BRIDGE: z.string().min(1).max(64).default('nbp{hash}'),
  PROJECT_NETNS: z.string().min(1).max(200).optional(),
  /** Private networks this gateway reaches: `{"<network>": {"bridge": "…", "netns": "…"}}`. */
  PRIVATE_NETWORKS: jsonOf(z.record(Name, Segment)).default({}),
  /** This agent in its reports (KV `router-agent-status`); default the host name. The chart sets the node name. */
  AGENT_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'letters, digits, ".", "-" and "_" (a KV key)').optional(),
  /** The whole plan is applied again this often, whatever happened (drift is repaired). */
  RESYNC_INTERVAL_MS: z.coerce.number().int().min(1_000).default(30_000),
});
export type RouterAgentConfig = z.infer<typeof RouterAgentConfig>;
