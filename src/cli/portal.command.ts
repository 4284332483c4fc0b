/**
 * `trouw portal token`: signs a member token as a shop's backend would, to try the member portal or the widget
 * without writing a signer first. The programme gets a signing secret if it has none.
 */
import { type Command, Option } from 'commander';
import type { ServiceContext } from '../context.js';
import { issueMemberToken } from '../services/portal/portal-settings.service.js';

type WithContext = <T>(options: { dataDir?: string }, fn: (ctx: ServiceContext) => Promise<T>) => Promise<T>;

export function registerPortalCommands(program: Command, withContext: WithContext, dataDirOption: () => Option): void {
  const portal = program.command('portal').description('the member portal');
  portal
    .command('token')
    .description('print a signed member token (HS256 JWT) for the member portal and the widget')
    .requiredOption('--program <id>', 'the programme')
    .requiredOption('--member <externalId>', "the member's externalId (the token's sub)")
    .addOption(new Option('--ttl <seconds>', 'how long the token lives, at most 3600').argParser(Number).default(600))
    .option('--json', 'print {"token","kid","slug","expiresAt"}')
    .addOption(dataDirOption())
    .action(async (options: { dataDir?: string; program: string; member: string; ttl: number; json?: boolean }) => {
      const issued = await withContext(options, (ctx) => issueMemberToken(ctx, options.program, options.member, options.ttl));
      if (options.json) {
        console.log(JSON.stringify(issued));
        return;
      }
      console.log(issued.token);
      console.error(`kid ${issued.kid}, expires ${issued.expiresAt}; portal: /p/${issued.slug}#token=<token>`);
    });
}
