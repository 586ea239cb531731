/**
 * RDS for PostgreSQL instance classes the platform knows, with the memory that drives the
 * default `max_connections` and the PostgreSQL majors RDS supports them for.
 *
 * Source: "Supported DB engines for DB instance classes" and "Hardware specifications for DB
 * instance classes" in the Amazon RDS User Guide. A class missing here fails validation with
 * a list of the known ones, so adding a new class is a one-line change.
 */
export interface RdsInstanceFamily {
  /** e.g. `r7g`. */
  readonly family: string;
  /** Size name to memory in GiB. */
  readonly sizes: Readonly<Record<string, number>>;
  /** Lowest PostgreSQL major version RDS offers on this family. */
  readonly minMajor: number;
  /** Highest PostgreSQL major version RDS offers on this family (undefined: all current ones). */
  readonly maxMajor?: number;
  /** Burstable classes run on CPU credits: fine for dev, not for a fleet's writer. */
  readonly burstable?: boolean;
}

const BURSTABLE = { micro: 1, small: 2, medium: 4, large: 8, xlarge: 16, '2xlarge': 32 };
const GENERAL = { large: 8, xlarge: 16, '2xlarge': 32, '4xlarge': 64, '8xlarge': 128, '12xlarge': 192, '16xlarge': 256 };
const MEMORY = { large: 16, xlarge: 32, '2xlarge': 64, '4xlarge': 128, '8xlarge': 256, '12xlarge': 384, '16xlarge': 512 };

export const RDS_POSTGRES_FAMILIES: readonly RdsInstanceFamily[] = [
  { family: 't4g', sizes: BURSTABLE, minMajor: 11, burstable: true },
  { family: 't3', sizes: BURSTABLE, minMajor: 11, burstable: true },
  { family: 'm5', sizes: GENERAL, minMajor: 11 },
  { family: 'm6g', sizes: GENERAL, minMajor: 12 },
  { family: 'm6i', sizes: GENERAL, minMajor: 12 },
  { family: 'm7g', sizes: GENERAL, minMajor: 13 },
  { family: 'm7i', sizes: GENERAL, minMajor: 13 },
  { family: 'm8g', sizes: GENERAL, minMajor: 13 },
  { family: 'r5', sizes: MEMORY, minMajor: 11 },
  { family: 'r6g', sizes: MEMORY, minMajor: 12 },
  { family: 'r6i', sizes: MEMORY, minMajor: 12 },
  { family: 'r7g', sizes: MEMORY, minMajor: 13 },
  { family: 'r7i', sizes: MEMORY, minMajor: 13 },
  { family: 'r8g', sizes: MEMORY, minMajor: 13 },
  // Previous generations that current PostgreSQL majors no longer run on.
  { family: 't2', sizes: BURSTABLE, minMajor: 9, maxMajor: 12, burstable: true },
  { family: 'm4', sizes: GENERAL, minMajor: 9, maxMajor: 12 },
  { family: 'r4', sizes: MEMORY, minMajor: 9, maxMajor: 12 },
];

export interface RdsInstanceClassInfo {
  readonly instanceClass: string;
  readonly family: RdsInstanceFamily;
  readonly memoryGiB: number;
  readonly vcpus: number;
}

/** vCPUs per size name, the same across the families listed here. */
const VCPUS: Readonly<Record<string, number>> = {
  micro: 2,
  small: 2,
  medium: 2,
  large: 2,
  xlarge: 4,
  '2xlarge': 8,
  '4xlarge': 16,
  '8xlarge': 32,
  '12xlarge': 48,
  '16xlarge': 64,
};

const CLASS_PATTERN = /^db\.([a-z0-9]+)\.([a-z0-9]+)$/;

/** Looks up `db.<family>.<size>`; undefined when the platform does not know it. */
export function rdsInstanceClass(instanceClass: string): RdsInstanceClassInfo | undefined {
  const match = CLASS_PATTERN.exec(instanceClass);
  if (!match) return undefined;
  const family = RDS_POSTGRES_FAMILIES.find((f) => f.family === match[1]);
  const memoryGiB = family?.sizes[match[2]];
  return family && memoryGiB !== undefined ? { instanceClass, family, memoryGiB, vcpus: VCPUS[match[2]] } : undefined;
}

/** Whether RDS runs this PostgreSQL major on the family. */
export function supportsMajor(family: RdsInstanceFamily, major: number): boolean {
  return major >= family.minMajor && (family.maxMajor === undefined || major <= family.maxMajor);
}

/** Classes that do run the given major, for error messages. */
export function classesForMajor(major: number): string[] {
  return RDS_POSTGRES_FAMILIES.filter((f) => supportsMajor(f, major)).map((f) => `db.${f.family}.*`);
}
