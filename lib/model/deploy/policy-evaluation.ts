import type { IntrinsicResolver } from './intrinsics';

/**
 * Who makes a request a resource policy is evaluated for.
 * - a service principal (`cloudwatch.amazonaws.com`), which only the resource policy can allow;
 * - an IAM role of the same account, which its own identity policy may allow already: within one
 *   account "if either the identity-based policy or the resource-based policy ... allows the
 *   request and the other doesn't, the request is still allowed"
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html).
 */
export type RequestPrincipal =
  | { readonly kind: 'service'; readonly service: string }
  | { readonly kind: 'role'; readonly arn: string; readonly account: string; readonly identityAllows: boolean };

export interface PolicyRequest {
  readonly principal: RequestPrincipal;
  readonly action: string;
  /** The resource's ARN. */
  readonly resource: string;
  /** Condition keys of the request (any case). */
  readonly context: Readonly<Record<string, string>>;
}

export interface PolicyDecision {
  readonly decision: 'allow' | 'deny' | 'implicit-deny' | 'unknown';
  /** Which statement decided it, or what could not be evaluated. */
  readonly because: string;
}

type Match = true | false | { unknown: string };

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** IAM wildcards: `*` any run of characters, `?` one character; case-sensitive unless told. */
function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    ignoreCase ? 'i' : '',
  );
  return re.test(value);
}

/**
 * Evaluates one resource policy document for one request, the way IAM does for the parts the
 * platform's templates use: an explicit Deny wins, then an Allow, then (for a role of the same
 * account) its identity policy. Principal, NotPrincipal, Action, NotAction, Resource and the
 * String, Arn and Bool condition operators (with IfExists) are understood; anything else makes
 * the answer `unknown` rather than a guess.
 */
export function evaluatePolicy(document: unknown, request: PolicyRequest, resolver: IntrinsicResolver): PolicyDecision {
  const evaluated = list((document as { Statement?: unknown } | undefined)?.Statement).map((raw, index) => {
    const s = raw as Record<string, unknown>;
    return {
      effect: s.Effect,
      name: typeof s.Sid === 'string' ? s.Sid : `statement ${index + 1}`,
      match: statementMatches(s, request, resolver),
    };
  });
  const first = (effect: string, match: (m: Match) => boolean) => evaluated.find((e) => e.effect === effect && match(e.match));
  const isUnknown = (m: Match): m is { unknown: string } => typeof m === 'object';
  const deny = first('Deny', (m) => m === true);
  if (deny) return { decision: 'deny', because: `denied by ${deny.name}` };
  const unknownDeny = first('Deny', isUnknown);
  if (unknownDeny) return { decision: 'unknown', because: `${unknownDeny.name}: ${(unknownDeny.match as { unknown: string }).unknown}` };
  const allow = first('Allow', (m) => m === true);
  if (allow) return { decision: 'allow', because: `allowed by ${allow.name}` };
  if (request.principal.kind === 'role' && request.principal.identityAllows)
    return { decision: 'allow', because: "allowed by the role's own IAM policy (same account)" };
  const unknownAllow = first('Allow', isUnknown);
  if (unknownAllow) return { decision: 'unknown', because: `${unknownAllow.name}: ${(unknownAllow.match as { unknown: string }).unknown}` };
  return { decision: 'implicit-deny', because: 'no statement allows it' };
}

function statementMatches(s: Record<string, unknown>, request: PolicyRequest, resolver: IntrinsicResolver): Match {
  const parts: Match[] = [
    principalMatches(s, request, resolver),
    actionMatches(s, request),
    resourceMatches(s, request, resolver),
    conditionMatches(s.Condition, request, resolver),
  ];
  if (parts.includes(false)) return false;
  const unknown = parts.find((p): p is { unknown: string } => typeof p === 'object');
  return unknown ?? true;
}

function principalMatches(s: Record<string, unknown>, request: PolicyRequest, resolver: IntrinsicResolver): Match {
  if (s.NotPrincipal !== undefined) return { unknown: 'NotPrincipal is not evaluated' };
  const principal = s.Principal;
  if (principal === '*') return true;
  if (principal === null || typeof principal !== 'object') return false;
  const p = principal as Record<string, unknown>;
  const { principal: who } = request;
  if (who.kind === 'service') {
    const services = resolver.list(p.Service ?? []) ?? [];
    return services.includes(who.service) || (resolver.list(p.AWS ?? []) ?? []).includes('*');
  }
  const aws = p.AWS === undefined ? [] : resolver.list(p.AWS);
  if (aws === undefined) return { unknown: `principal ${JSON.stringify(p.AWS)} cannot be resolved` };
  for (const a of aws) {
    if (a === '*' || a === who.arn) return true;
    // The account (root) as principal delegates to the account's IAM policies
    // (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html): it grants
    // only what the role's own policy already allows.
    const root = /^arn:[^:]+:iam::(\d{12}):root$/.exec(a)?.[1] ?? (/^\d{12}$/.test(a) ? a : undefined);
    if (root === who.account && who.identityAllows) return true;
  }
  return false;
}

function actionMatches(s: Record<string, unknown>, request: PolicyRequest): Match {
  if (s.NotAction !== undefined) return !list(s.NotAction).some((a) => typeof a === 'string' && wildcard(a, request.action, true));
  return list(s.Action).some((a) => typeof a === 'string' && wildcard(a, request.action, true));
}

function resourceMatches(s: Record<string, unknown>, request: PolicyRequest, resolver: IntrinsicResolver): Match {
  if (s.NotResource !== undefined) return { unknown: 'NotResource is not evaluated' };
  if (s.Resource === undefined) return true; // key policies and some resource policies omit nothing; an absent Resource never limits here
  const resources = resolver.list(s.Resource);
  if (resources === undefined) return { unknown: `resource ${JSON.stringify(s.Resource)} cannot be resolved` };
  return resources.some((r) => wildcard(r, request.resource));
}

const STRING_OPERATORS: Record<string, (pattern: string, value: string) => boolean> = {
  StringEquals: (p, v) => p === v,
  StringEqualsIgnoreCase: (p, v) => p.toLowerCase() === v.toLowerCase(),
  StringLike: (p, v) => wildcard(p, v),
  ArnEquals: (p, v) => p === v,
  ArnLike: (p, v) => wildcard(p, v),
  Bool: (p, v) => p.toLowerCase() === v.toLowerCase(),
};
const NEGATED: Record<string, string> = {
  StringNotEquals: 'StringEquals',
  StringNotLike: 'StringLike',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
};

/** Every operator block must hold, every key within it, any value of a key (IAM's AND/OR rules). */
function conditionMatches(condition: unknown, request: PolicyRequest, resolver: IntrinsicResolver): Match {
  if (condition === undefined) return true;
  if (condition === null || typeof condition !== 'object') return { unknown: 'malformed Condition' };
  const context = new Map(Object.entries(request.context).map(([k, v]) => [k.toLowerCase(), v]));
  let unknown: { unknown: string } | undefined;
  for (const [rawOperator, block] of Object.entries(condition)) {
    const ifExists = rawOperator.endsWith('IfExists');
    const operator = ifExists ? rawOperator.slice(0, -'IfExists'.length) : rawOperator;
    const negated = NEGATED[operator];
    const test = STRING_OPERATORS[negated ?? operator];
    if (!test || block === null || typeof block !== 'object') return { unknown: `condition operator ${rawOperator} is not evaluated` };
    for (const [key, rawValues] of Object.entries(block)) {
      const values = resolver.list(rawValues);
      if (values === undefined) {
        unknown ??= { unknown: `condition ${rawOperator} ${key} has a value that cannot be resolved` };
        continue;
      }
      const actual = context.get(key.toLowerCase());
      let holds: boolean;
      if (actual === undefined) holds = ifExists || negated !== undefined;
      else {
        const any = values.some((v) => test(v, actual));
        holds = negated ? !any : any;
      }
      if (!holds) return false;
    }
  }
  return unknown ?? true;
}
