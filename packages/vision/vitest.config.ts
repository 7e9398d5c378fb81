import { preset } from '@stepwise/vitest-preset';
import { defineConfig } from 'vitest/config';

export default defineConfig(preset);
