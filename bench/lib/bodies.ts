/**
 * The request texts every inference bench sends: 64 comment-like texts of 1 to ~60 words (the
 * length range of the GoEmotions data), every fourth one two sentences long, as JSON bodies of
 * POST /predict. Shared so the benches measure the same work.
 */
const SENTENCES = [
  'I love this so much, thank you!',
  'This is the worst thing I have read all week.',
  "I'm honestly scared of what happens next.",
  'Wow, I did not see that coming at all',
  'That is disgusting and you should be ashamed',
  'ok',
  'Why would anyone think this is a good idea?',
  'I miss my dad every single day since he passed.',
  'lol this made my day 😂😂',
  'Congrats on the new job, you deserve it!',
  'Not sure how I feel about the new update, it changed a lot of things I was used to.',
  'He just sat there and said nothing, which honestly made it worse.',
  'Nobody asked for your opinion, mate.',
  'This game was absolutely incredible from start to finish, the ending had me in tears and I would play it again tomorrow if I could find the time.',
  'Thanks for sharing, I had no idea this was even possible',
  'I hate waiting in lines like this',
];

export const PREDICT_BODIES: readonly string[] = Array.from({ length: 64 }, (_, i) => {
  const a = SENTENCES[i % SENTENCES.length] ?? '';
  const b = SENTENCES[(i * 7 + 3) % SENTENCES.length] ?? '';
  return JSON.stringify({ text: i % 4 === 0 ? `${a} ${b}` : a });
});
