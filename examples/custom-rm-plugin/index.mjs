// A minimal third-party reward model, registered with CopyForge's host and used to score
// creatives. Run after `npm run build`: node examples/custom-rm-plugin/index.mjs
import { createRewardModelHost, definePlugin, defineRewardModel } from 'copyforge';

// Fails titles longer than `maxLength` characters or with banned emoji.
const tidyTitles = defineRewardModel({
  name: 'tidy-titles',
  version: '1.0.0',
  role: 'veto',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      maxLength: { type: 'integer', minimum: 1 },
      bannedEmoji: { type: 'array', items: { type: 'string' } },
    },
  },
  async scoreBatch(candidates, { config, signal }) {
    const maxLength = config.maxLength ?? 24;
    const banned = config.bannedEmoji ?? ['🔥', '💰'];
    return candidates.map((candidate) => {
      signal.throwIfAborted();
      const reasons = [];
      const length = [...candidate.title].length;
      if (length > maxLength) {
        reasons.push({ code: 'too-long', message: `${length} characters; at most ${maxLength}.` });
      }
      for (const emoji of banned) {
        if (candidate.title.includes(emoji))
          reasons.push({ code: 'banned-emoji', message: 'Banned emoji.', span: emoji });
      }
      return { score: reasons.length === 0 ? 1 : 0, verdict: reasons.length === 0 ? 'pass' : 'fail', reasons };
    });
  },
});

export const plugin = definePlugin({
  name: 'example-tidy-titles',
  version: '1.0.0',
  copyforge: '^0.1.0',
  rewardModels: [tidyTitles],
});

const note = {
  id: 'zh-001',
  title: '夏天通勤必备的防晒霜',
  body: '最近换了这款清爽型防晒霜，SPF50+ PA++++，通勤两小时补涂一次完全不黑。价格128元50ml，学生党也能接受。',
  tags: ['防晒', '通勤', '护肤'],
};
const creatives = [
  '夏天通勤必备的清爽防晒霜',
  '🔥128元防晒霜🔥',
  '通勤两小时补涂一次、完全不黑、学生党也能接受的防晒霜',
].map((title, index) => ({
  id: `c${index}`,
  noteId: note.id,
  title,
  style: 'plain',
  controls: { promotionTarget: '防晒霜', audienceTier: '学生党' },
}));

const host = await createRewardModelHost({ rewardModels: [plugin], configs: { 'tidy-titles': { maxLength: 20 } } });
const ranked = await host.scoreAndSelect(note, creatives);
for (const item of ranked) {
  const reasons = item.scores.flatMap((score) => score.reasons.map((reason) => reason.span ?? reason.code));
  console.log(
    `${item.accepted ? 'accepted' : 'rejected'}  #${item.rank}  ${item.creative.title}  ${reasons.join(', ')}`,
  );
}
await host.close();
if (ranked.filter((item) => item.accepted).length !== 1) {
  console.error('Expected exactly one accepted creative.');
  process.exit(1);
}
