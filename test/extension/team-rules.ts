import { type CfnResource, TagManager } from 'aws-cdk-lib';
import { NagMessageLevel, NagPack, NagRuleCompliance } from 'cdk-nag';

const DATA_CLASSES = ['public', 'internal', 'customer-content', 'regulated'];

/**
 * Team example 5: a policy rule of the team's own. Every S3 bucket carries a `data-class` tag
 * with one of the team's classes. Registered next to the platform's packs, with
 * `Validations.of(app).addPlugins(new TeamRules(app))`; acknowledged like theirs, as
 * `Team::Team-S3DataClass`.
 */
export class TeamRules extends NagPack {
  public readonly name = 'Team';

  constructor(...args: ConstructorParameters<typeof NagPack>) {
    super(...args);
    this.packName = 'Team';
  }

  public checkResource(node: CfnResource): void {
    this.applyRule({
      ruleSuffixOverride: 'S3DataClass',
      info: `The bucket has no data-class tag with one of ${DATA_CLASSES.join(', ')}.`,
      explanation: 'The data class decides who may be granted access and how long the data is kept.',
      level: NagMessageLevel.ERROR,
      node,
      rule: (resource: CfnResource) => {
        if (resource.cfnResourceType !== 'AWS::S3::Bucket') return NagRuleCompliance.NOT_APPLICABLE;
        const dataClass = TagManager.isTaggable(resource) ? resource.tags.tagValues()['data-class'] : undefined;
        return dataClass !== undefined && DATA_CLASSES.includes(dataClass) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
      },
    });
  }
}
