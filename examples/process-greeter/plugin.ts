import { definePlugin, serve, tool } from '@clawdesk/plugin-sdk';
import { z } from 'zod';

const plugin = definePlugin({
  name: 'process-greeter',
  tools: {
    greet: tool({
      description: 'Greets someone, politely or not',
      input: z.object({ name: z.string(), polite: z.boolean().default(true) }),
      run: ({ name, polite }, ctx) => {
        ctx.log.info('greeting', { name });
        return { greeting: polite ? `Good day, ${name}.` : `Hey ${name}!` };
      },
    }),
  },
});

serve(plugin);
