/** What `GET /account/sessions` can answer: the JSON list first, so it wins a tie. */
const OFFERED = [
  { type: 'application', subtype: 'json' },
  { type: 'text', subtype: 'html' },
] as const;

const QUALITY = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/** One media range of an Accept header, or null for one that is not `type/subtype`. */
interface MediaRange {
  type: string;
  subtype: string;
  /** Parameters other than q; a range with any (but `*`) matches none of `OFFERED`. */
  params: string[];
  q: number;
  /** Its position in the header. */
  order: number;
}

/**
 * Whether an `Accept` header ranks `text/html` above `application/json`, as Express's
 * `req.accepts(['application/json', 'text/html'])` ranks them (RFC 9110 content negotiation):
 * each offered type takes the q-value of the most specific range that matches it, then the
 * higher q-value wins, then the more specific match, then the range listed first, then JSON.
 * No header, or one that accepts neither, is JSON. Written out rather than taken from Express
 * so that the sample app negotiates alike on Express and Fastify (which has none built in).
 */
export function prefersHtml(accept: string | string[] | undefined): boolean {
  const header = Array.isArray(accept) ? accept.join(', ') : accept;
  if (!header) return false;
  const ranges = parseAccept(header);
  const ranked = OFFERED.map((offered, index) => ({ index, ...bestMatch(offered, ranges) }))
    .filter((match) => match.q > 0)
    .sort((a, b) => b.q - a.q || b.specificity - a.specificity || a.order - b.order || a.index - b.index);
  return ranked[0]?.index === 1;
}

function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  header.split(',').forEach((part, order) => {
    const [mediaRange, ...parameters] = part.split(';').map((piece) => piece.trim());
    const slash = mediaRange.indexOf('/');
    if (slash <= 0 || slash === mediaRange.length - 1) return;
    let q = 1;
    const params: string[] = [];
    for (const parameter of parameters) {
      const [name, value = ''] = parameter.split('=').map((piece) => piece.trim());
      if (name.toLowerCase() !== 'q') params.push(value);
      // A q-value that is not one: the range counts for nothing.
      else if (QUALITY.test(value)) q = Number(value);
      else q = 0;
    }
    ranges.push({ type: mediaRange.slice(0, slash).toLowerCase(), subtype: mediaRange.slice(slash + 1).toLowerCase(), params, q, order });
  });
  return ranges;
}

/** The q-value, specificity and position of the most specific range that matches `offered`. */
function bestMatch(offered: (typeof OFFERED)[number], ranges: MediaRange[]): { q: number; specificity: number; order: number } {
  let best = { q: 0, specificity: -1, order: -1 };
  for (const range of ranges) {
    const typeMatches = range.type === offered.type;
    const subtypeMatches = range.subtype === offered.subtype;
    if ((!typeMatches && range.type !== '*') || (!subtypeMatches && range.subtype !== '*')) continue;
    if (range.params.some((value) => value !== '*' && value !== '')) continue;
    const specificity = (typeMatches ? 4 : 0) | (subtypeMatches ? 2 : 0) | (range.params.length > 0 ? 1 : 0);
    if (specificity > best.specificity || (specificity === best.specificity && (range.q > best.q || (range.q === best.q && range.order > best.order)))) {
      best = { q: range.q, specificity, order: range.order };
    }
  }
  return best;
}
