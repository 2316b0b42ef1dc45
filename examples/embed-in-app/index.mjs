// Embedding CopyForge in an app: one note in, scored creatives out, on the default
// in-process model (fetched into the cache on first use).
// Run after `npm run build`: node examples/embed-in-app/index.mjs
import { CopyForgeEvents, createForge, createUsabilityRewardModel, isCopyForgeError, llamaCppBackend } from 'copyforge';

const note = {
  id: 'example-1',
  title: '上班族的低脂早餐',
  body: '每天早上用燕麦、酸奶和蓝莓做隔夜燕麦杯，前一晚5分钟准备好，早上直接拿走。一杯大约300大卡，饱腹到中午。',
  tags: ['早餐', '减脂'],
  lang: 'zh-CN',
};

const backend = await llamaCppBackend({ model: 'default', threads: 2, scoreTopK: 40 });
const events = new CopyForgeEvents();
events.on('generate.note-end', ({ payload }) =>
  console.log(
    `note ${payload.noteId}: ${payload.accepted}/${payload.creatives} accepted in ${Math.round(payload.durationMs)} ms`,
  ),
);

const forge = createForge({ backend, titlesPerNote: 4, rewardModels: [createUsabilityRewardModel()], events });
try {
  const result = await forge.generate(note, { audienceTier: 'young-professionals', seed: 1 });
  console.log(`promotion target: ${result.promotionTarget}`);
  for (const { creative, accepted, scores } of result.creatives) {
    const usability = scores.find((score) => score.rewardModel === 'usability');
    console.log(
      `${accepted ? '✓' : '✗'} [${creative.style}] ${creative.title}  usability=${usability?.score.toFixed(2)}`,
    );
  }
  // Bad input gets a coded error naming the field.
  await forge.generate({ ...note, body: '' }).catch((error) => {
    if (!isCopyForgeError(error, 'CF_INVALID_NOTE')) throw error;
    console.log(`rejected: ${error.code} ${error.issues[0]?.path}`);
  });
} finally {
  await backend.dispose();
}
