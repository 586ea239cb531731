import { CommandRegistry } from './command.js';
import { deployCommand } from './deploy-command.js';
import { drillCommand } from './drill-command.js';
import { failureModesCommand } from './failure-modes-command.js';
import { freshnessCommand } from './freshness-command.js';
import { gateCommand } from './gate-command.js';
import { planCommand } from './plan-command.js';
import { preflightCommand } from './preflight-command.js';
import { reportCommand } from './report-command.js';
import { statusCommand } from './status-command.js';
import { zonalShiftCommand } from './zonal-shift-command.js';

/**
 * The CLI's commands, in the order `--help` lists them. A new command is a new file
 * exporting a `Command`, plus one `.register(...)` line here.
 */
export function builtinCommands(): CommandRegistry {
  return new CommandRegistry()
    .register(statusCommand)
    .register(gateCommand)
    .register(reportCommand)
    .register(freshnessCommand)
    .register(failureModesCommand)
    .register(drillCommand)
    .register(planCommand)
    .register(preflightCommand)
    .register(deployCommand)
    .register(zonalShiftCommand);
}
