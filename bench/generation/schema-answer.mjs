// An instant, schema-valid answer to the forge's titles request, for the mock backend
// of the memory run and the Kafka benchmark. Titles are distinct pseudo-random strings,
// so the forge's near-duplicate filter keeps them all and makes no retry calls.

const chinese =
  '春夏秋冬山水花草鱼鸟风云雨雪星月光影茶酒书画琴棋米面油盐甜酸苦辣红黄蓝绿白黑轻重快慢高低新旧大小长短明暗冷暖香软脆亮美好真';
const letters = 'abcdefghijklmnopqrstuvwxyz';

function random(seed) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

function title(next, minimum, maximum) {
  // The forge's zh limits are 4..20 characters, en 10..60.
  if (maximum <= 24) {
    const length = Math.min(maximum, Math.max(minimum, 8));
    return Array.from({ length }, () => chinese[Math.floor(next() * chinese.length)]).join('');
  }
  const words = [];
  while (words.join(' ').length < Math.max(minimum, 24)) {
    words.push(Array.from({ length: 5 }, () => letters[Math.floor(next() * letters.length)]).join(''));
  }
  return words.join(' ').slice(0, maximum);
}

let calls = 0;

/** `respond` for createMockBackend: reads the JSON schema of the request and fills it. */
export function answerTitlesRequest(request) {
  const schema = request.responseFormat?.schema;
  const properties = schema?.properties ?? {};
  const items = properties.titles?.items?.properties ?? {};
  const count = properties.titles?.minItems ?? 1;
  const next = random(++calls * 2654435761);
  const minimum = items.title?.minLength ?? 4;
  const maximum = items.title?.maxLength ?? 20;
  const styles = items.style?.enum ?? ['plain'];
  return JSON.stringify({
    promotionTarget: properties.promotionTarget?.const ?? properties.promotionTarget?.enum?.[0] ?? 'product',
    audienceTier: properties.audienceTier?.const ?? properties.audienceTier?.enum?.[0] ?? 'general',
    titles: Array.from({ length: count }, (_, index) => ({
      title: title(next, minimum, maximum),
      style: styles[index % styles.length],
    })),
  });
}
