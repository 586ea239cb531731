import type { CfnTemplate } from './template';

/**
 * EC2's limit on user data: "User data is limited to 16 KB, in raw form, before it is
 * base64-encoded" (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-add-user-data.html).
 * A launch template over it fails the deploy of the fleet, after everything before it was created.
 */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;

/**
 * Realistic worst-case lengths of the deploy-time values in the user data. The `Ref` of a
 * wait condition handle is a pre-signed S3 URL: the stack ARN in its path plus a SigV4 query
 * string, typically 450-550 characters
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-waitconditionhandle.html);
 * 1,024 leaves room. Everything else (endpoints, ARNs, names) stays under 256.
 */
export const TOKEN_LENGTHS = { waitConditionHandle: 1024, other: 256 } as const;

/** A piece of the user data: literal text, or a deploy-time value (`Ref`, `Fn::GetAtt`, ...). */
export type UserDataPart = string | Record<string, unknown>;

/** The launch templates of a template that have user data, by logical ID. */
export function launchTemplatesWithUserData(template: CfnTemplate): [string, unknown][] {
  return Object.entries(template.Resources ?? {}).flatMap(([id, r]) => {
    if (r.Type !== 'AWS::EC2::LaunchTemplate') return [];
    const data = (r.Properties?.LaunchTemplateData as { UserData?: { 'Fn::Base64'?: unknown } } | undefined)?.UserData;
    return data?.['Fn::Base64'] !== undefined ? [[id, data['Fn::Base64']] as [string, unknown]] : [];
  });
}

/** The user data as a flat list of literal text and deploy-time values, in order. */
export function userDataParts(base64Input: unknown): UserDataPart[] {
  const flatten = (value: unknown): UserDataPart[] => {
    if (typeof value === 'string') return [value];
    const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (!join) return [value as Record<string, unknown>];
    return join[1].flatMap((v, i) => (i === 0 ? flatten(v) : [join[0], ...flatten(v)]));
  };
  return flatten(base64Input);
}

/**
 * The user data as the instance receives it, with every deploy-time value replaced by a
 * placeholder of its realistic worst-case length ({@link TOKEN_LENGTHS}): the script `bash -n`
 * checks and the size EC2's 16 KB limit applies to.
 */
export function userDataScript(template: CfnTemplate, base64Input: unknown): string {
  const handles = new Set(
    Object.entries(template.Resources ?? {})
      .filter(([, r]) => r.Type === 'AWS::CloudFormation::WaitConditionHandle')
      .map(([id]) => id),
  );
  return userDataParts(base64Input)
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = (part as { Ref?: string }).Ref;
      return 'x'.repeat(ref !== undefined && handles.has(ref) ? TOKEN_LENGTHS.waitConditionHandle : TOKEN_LENGTHS.other);
    })
    .join('');
}
