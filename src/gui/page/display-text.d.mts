// Types of the shared display policy, src/present/display-text.ts. Its compiled
// JavaScript is copied next to the page's modules as display-text.mjs by
// src/gui/build.mjs; the page and the terminal client use the same code.
// test/present-display-text.test.ts checks that these declarations match the module.
export declare function neutraliseChar(ch: string): string;
export declare function displayInline(text: string): string;
export declare function displayLines(text: string): string[];
export declare function displayMultiline(text: string): string;
export declare function isDisplaySafe(text: string): boolean;
export declare function displayName(text: string, max?: number): string;
export declare function groupHex(hex: string, size?: number, perLine?: number): string[];
export declare const UNSAFE_CHAR: RegExp;
export declare function stripUnsafe(text: string): string;
