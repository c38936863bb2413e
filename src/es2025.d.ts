// ES2025 built-ins that Node 24 has and TypeScript 5.9's libraries do not declare yet.
interface RegExpConstructor {
  escape(text: string): string;
}
