// The in-memory CloudWatch Logs service behind cloudwatch_standin.js: log
// groups, streams and the rules of each operation (CloudWatch Logs API
// Reference; error types and messages as AWS answers them, those marked
// (stand-in) are this file's wording). No I/O: an operation takes the parsed
// JSON input and returns {body, stored} or throws ApiError.
'use strict';

const kMaxEvents = 10000;
const kMaxBatchBytes = 1048576;
const kMaxEventBytes = 1048576;
const kEventOverhead = 26;
const kDay = 24 * 3600 * 1000;
const kTooNewMs = 2 * 3600 * 1000;
const kTooOldMs = 14 * kDay;
const kMaxSpanMs = kDay;
const kRetentionDays = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const kGroupPattern = /^[.\-_/#A-Za-z0-9]+$/;
const kStreamPattern = /^[^:*]*$/;
const kOps = ['CreateLogGroup', 'CreateLogStream', 'PutRetentionPolicy', 'DescribeLogGroups', 'DescribeLogStreams', 'PutLogEvents'];

class ApiError extends Error {
  constructor(type, message) {
    super(message);
    this.type = type;
  }
}

function shown(value) {
  if (value === null || value === undefined) return 'null';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `'${text.length > 200 ? text.slice(0, 200) + '...' : text}'`;
}

// Collects Coral-style constraint violations and throws them as one
// InvalidParameterException: "2 validation errors detected: Value ... at
// 'field' failed to satisfy constraint: Member must ...; Value ...".
class Violations {
  constructor() {
    this.items = [];
  }

  add(field, value, constraint) {
    this.items.push(`Value ${value === null || value === undefined ? 'null' : shown(value)} at '${field}' failed to satisfy constraint: Member ${constraint}`);
  }

  name(field, value, pattern, patternText) {
    if (value === undefined || value === null) return this.add(field, value, 'must not be null');
    if (typeof value !== 'string') throw new ApiError('SerializationException', `${field} must be a string (stand-in)`);
    if (value.length < 1) this.add(field, value, 'must have length greater than or equal to 1');
    if (value.length > 512) this.add(field, value, 'must have length less than or equal to 512');
    if (value.length >= 1 && !pattern.test(value)) this.add(field, value, `must satisfy regular expression pattern: ${patternText}`);
  }

  limit(value) {
    if (value === undefined) return;
    if (!Number.isInteger(value)) throw new ApiError('SerializationException', 'limit must be an integer (stand-in)');
    if (value < 1) this.add('limit', String(value), 'must have value greater than or equal to 1');
    if (value > 50) this.add('limit', String(value), 'must have value less than or equal to 50');
  }

  throwIfAny() {
    const n = this.items.length;
    if (n) throw new ApiError('InvalidParameterException', `${n} validation error${n > 1 ? 's' : ''} detected: ${this.items.join('; ')}`);
  }
}

// Pages through `items` with an opaque nextToken (the next index, base64).
function page(items, nextToken, limit) {
  const start = nextToken ? Number(Buffer.from(String(nextToken), 'base64').toString()) : 0;
  if (!Number.isInteger(start) || start < 0) throw new ApiError('InvalidParameterException', 'The specified nextToken is invalid.');
  const end = Math.min(items.length, start + (limit || 50));
  return { slice: items.slice(start, end), nextToken: end < items.length ? Buffer.from(String(end)).toString('base64') : undefined };
}

class Logs {
  constructor(region = 'us-east-1', account = '123456789012') {
    this.arnPrefix = `arn:aws:logs:${region}:${account}`;
    this.groups = new Map(); // name -> {creationTime, retentionInDays, logGroupClass, streams: Map}
    this.sequence = 0n;
  }

  has(op) {
    return kOps.includes(op);
  }

  group(name) {
    const g = this.groups.get(name);
    if (!g) throw new ApiError('ResourceNotFoundException', 'The specified log group does not exist.');
    return g;
  }

  createLogGroup(input) {
    const v = new Violations();
    v.name('logGroupName', input.logGroupName, kGroupPattern, '[\\.\\-_/#A-Za-z0-9]+');
    const cls = input.logGroupClass;
    if (cls !== undefined && !['STANDARD', 'INFREQUENT_ACCESS', 'DELIVERY'].includes(cls)) {
      v.add('logGroupClass', cls, 'must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]');
    }
    v.throwIfAny();
    if (this.groups.has(input.logGroupName)) throw new ApiError('ResourceAlreadyExistsException', 'The specified log group already exists');
    this.groups.set(input.logGroupName, { creationTime: Date.now(), retentionInDays: undefined, logGroupClass: cls || 'STANDARD', streams: new Map() });
    return { body: undefined };
  }

  createLogStream(input) {
    const v = new Violations();
    v.name('logGroupName', input.logGroupName, kGroupPattern, '[\\.\\-_/#A-Za-z0-9]+');
    v.name('logStreamName', input.logStreamName, kStreamPattern, '[^:*]*');
    v.throwIfAny();
    const g = this.group(input.logGroupName);
    if (g.streams.has(input.logStreamName)) throw new ApiError('ResourceAlreadyExistsException', 'The specified log stream already exists');
    g.streams.set(input.logStreamName, { creationTime: Date.now() });
    return { body: undefined };
  }

  putRetentionPolicy(input) {
    const v = new Violations();
    v.name('logGroupName', input.logGroupName, kGroupPattern, '[\\.\\-_/#A-Za-z0-9]+');
    if (input.retentionInDays === undefined || input.retentionInDays === null) v.add('retentionInDays', null, 'must not be null');
    else if (!kRetentionDays.includes(input.retentionInDays)) {
      v.add('retentionInDays', String(input.retentionInDays), `must satisfy enum value set: [${kRetentionDays.join(', ')}]`);
    }
    v.throwIfAny();
    this.group(input.logGroupName).retentionInDays = input.retentionInDays;
    return { body: undefined };
  }

  describeLogGroups(input) {
    const v = new Violations();
    v.limit(input.limit);
    v.throwIfAny();
    const prefix = input.logGroupNamePrefix || '';
    const names = [...this.groups.keys()].filter((n) => n.startsWith(prefix)).sort();
    const { slice, nextToken } = page(names, input.nextToken, input.limit);
    const logGroups = slice.map((name) => {
      const g = this.groups.get(name);
      return {
        logGroupName: name, creationTime: g.creationTime, retentionInDays: g.retentionInDays, metricFilterCount: 0,
        arn: `${this.arnPrefix}:log-group:${name}:*`, storedBytes: 0, logGroupClass: g.logGroupClass,
        logGroupArn: `${this.arnPrefix}:log-group:${name}`,
      };
    });
    return { body: { logGroups, nextToken } };
  }

  describeLogStreams(input) {
    const v = new Violations();
    v.limit(input.limit);
    if (input.orderBy !== undefined && !['LogStreamName', 'LastEventTime'].includes(input.orderBy)) {
      v.add('orderBy', input.orderBy, 'must satisfy enum value set: [LogStreamName, LastEventTime]');
    }
    v.throwIfAny();
    if (input.logGroupName && input.logGroupIdentifier) {
      throw new ApiError('InvalidParameterException', 'LogGroup name and LogGroup ARN are mutually exclusive parameters.');
    }
    if (input.orderBy === 'LastEventTime' && input.logStreamNamePrefix) {
      throw new ApiError('InvalidParameterException', 'Cannot order by LastEventTime with a logStreamNamePrefix.');
    }
    let groupName = input.logGroupName;
    if (!groupName && input.logGroupIdentifier) groupName = String(input.logGroupIdentifier).replace(/^arn:[^:]*:logs:[^:]*:[^:]*:log-group:/, '');
    const g = this.group(groupName);
    const prefix = input.logStreamNamePrefix || '';
    let names = [...g.streams.keys()].filter((n) => n.startsWith(prefix));
    if (input.orderBy === 'LastEventTime') names.sort((a, b) => (g.streams.get(a).lastEventTimestamp || 0) - (g.streams.get(b).lastEventTimestamp || 0));
    else names.sort();
    if (input.descending) names.reverse();
    const { slice, nextToken } = page(names, input.nextToken, input.limit);
    const logStreams = slice.map((name) => {
      const s = g.streams.get(name);
      return {
        logStreamName: name, creationTime: s.creationTime, firstEventTimestamp: s.firstEventTimestamp,
        lastEventTimestamp: s.lastEventTimestamp, lastIngestionTime: s.lastIngestionTime,
        uploadSequenceToken: s.uploadSequenceToken, arn: `${this.arnPrefix}:log-group:${groupName}:log-stream:${name}`, storedBytes: 0,
      };
    });
    return { body: { logStreams, nextToken } };
  }

  // Shape and size rules of a PutLogEvents batch; returns the events' UTF-8 sizes.
  checkBatch(input) {
    const v = new Violations();
    v.name('logGroupName', input.logGroupName, kGroupPattern, '[\\.\\-_/#A-Za-z0-9]+');
    v.name('logStreamName', input.logStreamName, kStreamPattern, '[^:*]*');
    const events = input.logEvents;
    if (events === undefined || events === null) v.add('logEvents', null, 'must not be null');
    else if (!Array.isArray(events)) throw new ApiError('SerializationException', 'logEvents must be a list (stand-in)');
    else {
      if (events.length < 1) v.add('logEvents', '[]', 'must have length greater than or equal to 1');
      if (events.length > kMaxEvents) v.add('logEvents', `[${events.length} events]`, `must have length less than or equal to ${kMaxEvents}`);
      events.forEach((e, i) => {
        const at = `logEvents.${i + 1}.member`;
        if (typeof e !== 'object' || e === null) throw new ApiError('SerializationException', `${at} must be an object (stand-in)`);
        if (e.timestamp === undefined || e.timestamp === null) v.add(`${at}.timestamp`, null, 'must not be null');
        else if (!Number.isInteger(e.timestamp)) throw new ApiError('SerializationException', `${at}.timestamp must be an integer (stand-in)`);
        if (e.message === undefined || e.message === null) v.add(`${at}.message`, null, 'must not be null');
        else if (typeof e.message !== 'string') throw new ApiError('SerializationException', `${at}.message must be a string (stand-in)`);
        else if (e.message.length < 1) v.add(`${at}.message`, '', 'must have length greater than or equal to 1');
      });
    }
    v.throwIfAny();
    const sizes = events.map((e) => Buffer.byteLength(e.message, 'utf8') + kEventOverhead);
    for (const size of sizes) {
      if (size > kMaxEventBytes) throw new ApiError('InvalidParameterException', `Log event too large: ${size} bytes exceeds limit of ${kMaxEventBytes}`);
    }
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total > kMaxBatchBytes) throw new ApiError('InvalidParameterException', `Upload too large: ${total} bytes exceeds limit of ${kMaxBatchBytes}`);
    for (let i = 1; i < events.length; i++) {
      if (events[i].timestamp < events[i - 1].timestamp) {
        throw new ApiError('InvalidParameterException', 'Log events in a single PutLogEvents request must be in chronological order.');
      }
    }
  }

  putLogEvents(input, now) {
    this.checkBatch(input);
    const events = input.logEvents;
    const valid = events.filter((e) => e.timestamp >= now - kTooOldMs && e.timestamp <= now + kTooNewMs);
    if (valid.length && valid[valid.length - 1].timestamp - valid[0].timestamp > kMaxSpanMs) {
      throw new ApiError('InvalidParameterException', 'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
    }
    const g = this.group(input.logGroupName);
    const stream = g.streams.get(input.logStreamName);
    if (!stream) throw new ApiError('ResourceNotFoundException', 'The specified log stream does not exist.');

    const countWhile = (pred) => {
      let k = 0;
      while (k < events.length && pred(events[k])) k++;
      return k;
    };
    const tooOldEnd = countWhile((e) => e.timestamp < now - kTooOldMs);
    const expiredEnd = g.retentionInDays ? countWhile((e) => e.timestamp < now - g.retentionInDays * kDay) : 0;
    const firstNew = events.findIndex((e) => e.timestamp > now + kTooNewMs);
    const storedFrom = Math.max(tooOldEnd, expiredEnd);
    const storedTo = firstNew < 0 ? events.length : firstNew;
    const rejected = {};
    if (firstNew >= 0) rejected.tooNewLogEventStartIndex = firstNew;
    if (tooOldEnd > 0) rejected.tooOldLogEventEndIndex = tooOldEnd;
    if (expiredEnd > 0) rejected.expiredLogEventEndIndex = expiredEnd;

    const stored = events.slice(storedFrom, Math.max(storedFrom, storedTo));
    if (stored.length) {
      stream.firstEventTimestamp = Math.min(stream.firstEventTimestamp ?? Infinity, stored[0].timestamp);
      stream.lastEventTimestamp = Math.max(stream.lastEventTimestamp ?? -Infinity, stored[stored.length - 1].timestamp);
      stream.lastIngestionTime = now;
    }
    this.sequence += 1n;
    stream.uploadSequenceToken = (49600000000000000000000000000000000000000000000000000000n + this.sequence).toString();
    const body = { nextSequenceToken: stream.uploadSequenceToken };
    if (Object.keys(rejected).length) body.rejectedLogEventsInfo = rejected;
    return { body, stored };
  }
}

module.exports = { Logs, ApiError };
