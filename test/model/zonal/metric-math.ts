/**
 * A tiny evaluator of the CloudWatch metric-math subset the isolated-impact expressions use, at one
 * timestamp: numbers, metric ids, + - * /, the comparisons == != <= >= < >, AND/&& and OR/||, and
 * parentheses. As the CloudWatch User Guide describes metric math
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html):
 * a comparison or logical operator gives 1 (true) or 0 (false), a missing value counts as 0, and a
 * division by zero drops the data point (undefined here). Anything else, a function such as MAX or
 * IF included, is refused: an expression that needs more than this subset fails the test that
 * evaluates it.
 */
export function evaluateMetricMath(expression: string, values: Readonly<Record<string, number | undefined>>): number | undefined {
  const tokens = tokenize(expression);
  let pos = 0;
  const peek = () => tokens[pos];
  const take = (expected?: string) => {
    const t = tokens[pos++];
    if (t === undefined || (expected !== undefined && t !== expected))
      throw new Error(`metric math: expected ${expected ?? 'a token'} at ${pos - 1} in ${expression}, got ${t ?? 'the end'}`);
    return t;
  };
  type V = number | undefined;
  const bool = (b: boolean) => (b ? 1 : 0);
  const logical = (): V => {
    let left = conjunction();
    while (peek() === 'OR' || peek() === '||') {
      take();
      const right = conjunction();
      left = left === undefined || right === undefined ? undefined : bool(left !== 0 || right !== 0);
    }
    return left;
  };
  const conjunction = (): V => {
    let left = comparison();
    while (peek() === 'AND' || peek() === '&&') {
      take();
      const right = comparison();
      left = left === undefined || right === undefined ? undefined : bool(left !== 0 && right !== 0);
    }
    return left;
  };
  const comparison = (): V => {
    const left = sum();
    const op = peek();
    if (op === undefined || !['==', '!=', '<=', '>=', '<', '>'].includes(op)) return left;
    take();
    const right = sum();
    if (left === undefined || right === undefined) return undefined;
    const result = {
      '==': left === right,
      '!=': left !== right,
      '<=': left <= right,
      '>=': left >= right,
      '<': left < right,
      '>': left > right,
    }[op as '=='];
    return bool(result);
  };
  const sum = (): V => {
    let left = product();
    while (peek() === '+' || peek() === '-') {
      const op = take();
      const right = product();
      left = left === undefined || right === undefined ? undefined : op === '+' ? left + right : left - right;
    }
    return left;
  };
  const product = (): V => {
    let left = unary();
    while (peek() === '*' || peek() === '/') {
      const op = take();
      const right = unary();
      if (left === undefined || right === undefined) left = undefined;
      else if (op === '*') left = left * right;
      else left = right === 0 ? undefined : left / right;
    }
    return left;
  };
  const unary = (): V => {
    if (peek() === '-') {
      take();
      const v = unary();
      return v === undefined ? undefined : -v;
    }
    return primary();
  };
  const primary = (): V => {
    const t = take();
    if (t === '(') {
      const v = logical();
      take(')');
      return v;
    }
    if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
    if (/^[a-z][a-zA-Z0-9_]*$/.test(t)) return values[t] ?? 0;
    throw new Error(`metric math: "${t}" is outside the subset this evaluator knows (in ${expression})`);
  };
  const result = logical();
  if (pos !== tokens.length) throw new Error(`metric math: unexpected "${tokens[pos]}" at ${pos} in ${expression}`);
  return result;
}

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  const re = /\s*(\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*|==|!=|<=|>=|&&|\|\||[-+*/()<>,])/y;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < expression.length) {
    re.lastIndex = at;
    m = re.exec(expression);
    if (!m) {
      if (/^\s*$/.test(expression.slice(at))) break;
      throw new Error(`metric math: cannot read "${expression.slice(at)}"`);
    }
    tokens.push(m[1]!);
    at = re.lastIndex;
  }
  return tokens;
}
