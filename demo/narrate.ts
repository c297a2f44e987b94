/** How the demo talks to the person watching it. */
const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: string, text: string): string => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);

export function section(title: string): void {
  process.stdout.write(`\n${paint('1;36', `== ${title}`)}\n`);
}

export function say(line: string): void {
  process.stdout.write(`${paint('33', '>')} ${line}\n`);
}

export function show(title: string, body: string): void {
  process.stdout.write(`${paint('2', `--- ${title}`)}\n${body.trimEnd()}\n`);
}

export function command(line: string): void {
  process.stdout.write(`${paint('1', `$ ${line}`)}\n`);
}
