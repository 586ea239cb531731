import type { CfnTemplate } from './template';

/** What CloudFormation knows when it resolves a value: the stack's account, region and partition. */
export interface StackEnvironment {
  readonly account: string;
  readonly region: string;
  /** @default 'aws' */
  readonly partition?: string;
  /** @default - resources resolve to a placeholder and a value that needs one is unknown */
  readonly stackName?: string;
}

/**
 * Resolves a template value to the string CloudFormation would give it, where that follows from
 * the template alone: literals, pseudo parameters, `Fn::Join`, `Fn::Sub`, `Fn::Select`, and the
 * `Ref`/`Fn::GetAtt` of resources whose physical names the template fixes (SNS topics with a
 * TopicName, alarms with an AlarmName, ...). Anything else is `undefined`: unknown, never guessed.
 */
export class IntrinsicResolver {
  private readonly partition: string;

  constructor(
    private readonly template: CfnTemplate,
    private readonly env: StackEnvironment,
  ) {
    this.partition = env.partition ?? 'aws';
  }

  public resolve(value: unknown): string | string[] | undefined {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (Array.isArray(value)) {
      const parts = value.map((v) => this.resolve(v));
      return parts.every((p): p is string => typeof p === 'string') ? parts : undefined;
    }
    if (value === null || typeof value !== 'object') return undefined;
    const entries = Object.entries(value);
    if (entries.length !== 1) return undefined;
    const [fn, arg] = entries[0]!;
    switch (fn) {
      case 'Ref':
        return typeof arg === 'string' ? this.ref(arg) : undefined;
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? arg : typeof arg === 'string' ? arg.split('.') : [];
        return typeof id === 'string' && typeof attribute === 'string' ? this.getAtt(id, attribute) : undefined;
      }
      case 'Fn::Join': {
        if (!Array.isArray(arg) || typeof arg[0] !== 'string') return undefined;
        const list = this.resolve(arg[1]);
        return Array.isArray(list) ? list.join(arg[0]) : undefined;
      }
      case 'Fn::Select': {
        if (!Array.isArray(arg)) return undefined;
        const list = this.resolve(arg[1]);
        const index = Number(this.resolve(arg[0]));
        return Array.isArray(list) && Number.isInteger(index) ? list[index] : undefined;
      }
      case 'Fn::Sub': {
        const [text, vars] = Array.isArray(arg) ? [arg[0], arg[1] as Record<string, unknown> | undefined] : [arg, undefined];
        if (typeof text !== 'string') return undefined;
        let unknown = false;
        const out = text.replace(/\$\{([^!}][^}]*)\}/g, (_m, name: string) => {
          const local =
            vars && name in vars
              ? this.resolve(vars[name])
              : name.includes('.')
                ? this.getAtt(...(name.split('.', 2) as [string, string]))
                : this.ref(name);
          if (typeof local !== 'string') unknown = true;
          return typeof local === 'string' ? local : '';
        });
        return unknown ? undefined : out.replace(/\$\{!/g, '${');
      }
      default:
        return undefined;
    }
  }

  /** The value as one string, or undefined. */
  public text(value: unknown): string | undefined {
    const v = this.resolve(value);
    return typeof v === 'string' ? v : undefined;
  }

  /** The value as a list of strings (a single string becomes a list of one), or undefined. */
  public list(value: unknown): string[] | undefined {
    if (Array.isArray(value)) {
      const parts = value.map((v) => this.text(v));
      return parts.every((p): p is string => p !== undefined) ? parts : undefined;
    }
    const v = this.resolve(value);
    return v === undefined ? undefined : typeof v === 'string' ? [v] : v;
  }

  private ref(name: string): string | undefined {
    switch (name) {
      case 'AWS::AccountId':
        return this.env.account;
      case 'AWS::Region':
        return this.env.region;
      case 'AWS::Partition':
        return this.partition;
      case 'AWS::URLSuffix':
        return this.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
      case 'AWS::StackName':
        return this.env.stackName;
      default:
        break;
    }
    const resource = this.template.Resources?.[name];
    if (!resource) return undefined;
    const p = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::SNS::Topic': {
        // Ref of a topic is its ARN (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sns-topic.html#aws-resource-sns-topic-return-values).
        // Without a TopicName, CloudFormation generates "<stack>-<logical ID>-<random>": the same
        // stand-in on both sides of a comparison keeps a Ref in a policy equal to the Ref in an action.
        const topicName = p.TopicName === undefined ? `${this.env.stackName ?? 'stack'}-${name}-GENERATED` : this.text(p.TopicName);
        return topicName === undefined ? undefined : `arn:${this.partition}:sns:${this.env.region}:${this.env.account}:${topicName}`;
      }
      case 'AWS::CloudWatch::Alarm':
      case 'AWS::CloudWatch::CompositeAlarm':
        return this.text(p.AlarmName);
      default:
        return undefined;
    }
  }

  private getAtt(id: string, attribute: string): string | undefined {
    const resource = this.template.Resources?.[id];
    if (!resource) return undefined;
    if (attribute === 'Arn' && (resource.Type === 'AWS::CloudWatch::Alarm' || resource.Type === 'AWS::CloudWatch::CompositeAlarm')) {
      const name = this.text(resource.Properties?.AlarmName);
      return name === undefined ? undefined : this.alarmArn(name);
    }
    if (attribute === 'TopicArn' && resource.Type === 'AWS::SNS::Topic') return this.ref(id);
    return undefined;
  }

  /** `arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>`. */
  public alarmArn(name: string): string {
    return `arn:${this.partition}:cloudwatch:${this.env.region}:${this.env.account}:alarm:${name}`;
  }

  /** A placeholder that stands for a resource's physical ID in messages. */
  public describe(value: unknown): string {
    const v = this.resolve(value);
    if (typeof v === 'string') return v;
    return JSON.stringify(value);
  }
}
