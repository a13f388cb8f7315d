// The reader of `inferd serve --help` that the deployment tests trust: wrapped descriptions, described (non-JSON)
// defaults, choices, environment variables, and the real CLI's output.

import { parseHelp, serveHelp } from '../support/cli-help';

test('parses wrapped option lines, JSON and described defaults, choices and env', () => {
  const help = [
    'Options:',
    '  --grpc-port <port>           gRPC port (0 picks a free one) (default: 8001, env:',
    '                               INFERD_GRPC_PORT)',
    '  --mode <mode>                how (choices: "none", "explicit", default: "none", env: INFERD_MODE)',
    '  --buckets <list>             histogram bounds (default: 0.1,0.5,1)',
    '  --tokens <file>              a file (env: INFERD_TOKENS)',
    '  -h, --help                   display help for command',
  ].join('\n');
  const flags = parseHelp(help);
  expect(flags.get('--grpc-port')).toEqual({ flag: '--grpc-port', default: 8001, env: 'INFERD_GRPC_PORT' });
  expect(flags.get('--mode')).toEqual({ flag: '--mode', choices: ['none', 'explicit'], default: 'none', env: 'INFERD_MODE' });
  expect(flags.get('--buckets')).toEqual({ flag: '--buckets', default: '0.1,0.5,1' });
  expect(flags.get('--tokens')).toEqual({ flag: '--tokens', env: 'INFERD_TOKENS' });
  expect(flags.has('--help')).toBe(true);
});

test('reads the built CLI', async () => {
  const flags = await serveHelp();
  expect(flags.get('--grpc-port')).toEqual({ flag: '--grpc-port', default: 8001, env: 'INFERD_GRPC_PORT' });
  expect(flags.get('--grpc-max-connection-age-ms')).toEqual({ flag: '--grpc-max-connection-age-ms', default: 0, env: 'INFERD_GRPC_MAX_CONNECTION_AGE_MS' });
  expect(flags.get('--model-control-mode')?.choices).toEqual(expect.arrayContaining(['none', 'explicit']));
});
