export { createSeededRandom, type RandomSource, randomInteger, shuffled } from '../core/random.js';
