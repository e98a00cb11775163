#!/usr/bin/env node
// Drives the official Salesforce Marketing Cloud Node SDK (salesforce-marketing-cloud-sdk, pinned
// in package.json) against the sms-contract simulator, for tests/compat/test_node_sdk.py.
//
// Input: one JSON job on stdin:
//   {"authBaseUrl": "http://127.0.0.1:PORT", "clientId": "...", "clientSecret": "...",
//    "accountId": null, "scope": null, "steps": [{"call": "<name>", ...arguments}, ...]}
// The SDK is configured as its code samples do it (new Client({authBaseUrl, clientId, ...})).
// It asks authBaseUrl + /v2/token for a token and takes the REST base URL from the token's
// rest_instance_url: the simulator's own. Steps run in order on one client (one cached token).
//
// Output: one JSON document on stdout:
//   {"sdk": "salesforce-marketing-cloud-sdk@1.0.0", "node": "v20...", "refused": [],
//    "sent": [{"method", "url"}, ...],
//    "steps": [{"call", "ok": true, "data", "model"|"modelError"} |
//              {"call", "ok": false, "error": {"name", "status", "message"}}]}
// "data" is what the SDK method resolved to; "model" is the SDK's own response model built from
// it (Model.constructFromObject), as JSON; "modelError" says why the SDK could not build it.
// "sent" lists every HTTP request as the SDK built it (the server may normalise the URL).
//
// Nothing leaves the machine: before the SDK is loaded, every socket connection to a host that is
// not loopback is refused (and listed in "refused"); the SDK's only built-in host
// (https://www.exacttargetapis.com, ApiClient's default basePath) is replaced by authBaseUrl and
// rest_instance_url before any request.
'use strict';

const net = require('net');

const refused = [];
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;

function connectHost(args) {
  const first = args[0];
  if (Array.isArray(first)) {
    return connectHost(first); // net's normalized [options, callback]
  }
  if (first !== null && typeof first === 'object') {
    return first.path ? null : String(first.host || 'localhost');
  }
  if (typeof first === 'number' || /^\d+$/.test(String(first))) {
    return typeof args[1] === 'string' ? args[1] : 'localhost';
  }
  return null; // a local (IPC) socket path
}

const realConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const host = connectHost(args);
  if (host !== null && !LOOPBACK.test(host)) {
    refused.push(host);
    const error = new Error(`drive.js: refusing to connect to non-loopback host ${host}`);
    process.nextTick(() => this.destroy(error));
    return this;
  }
  return realConnect.apply(this, args);
};

// Every HTTP request as the SDK built it (method and URL, before any server normalises it).
// The SDK's ApiClient uses this same superagent module (one copy in node_modules).
const superagent = require('superagent');

const sent = [];
const realEnd = superagent.Request.prototype.end;
superagent.Request.prototype.end = function recordedEnd(...args) {
  sent.push({ method: this.method, url: this.url });
  return realEnd.apply(this, args);
};

const SDK = 'salesforce-marketing-cloud-sdk';
const sdk = require(SDK);
const Client = require(`${SDK}/src/Api/Client`);
const sdkVersion = require(`${SDK}/package.json`).version;

function recipientModel(given) {
  const recipient = new sdk.Recipient(given.contactKey);
  for (const name of ['to', 'messageKey', 'attributes']) {
    if (given[name] !== undefined) {
      recipient[name] = given[name];
    }
  }
  return recipient;
}

function withContent(request, step) {
  if (step.content !== undefined) {
    const content = new sdk.SendSmsContentRequest();
    content.message = step.content.message;
    request.content = content;
  }
  return request;
}

// Each call: how to invoke the SDK method, and which SDK response model its answer is.
const CALLS = {
  // The token the SDK's AuthService asks for (and caches) before its first REST call.
  token: {
    run: (api) => api.authService.getTokenResponse(),
    model: null,
  },
  sendSmsToSingleRecipient: {
    run: (api, step) =>
      api.sendSmsToSingleRecipient(
        step.messageKey,
        withContent(
          new sdk.SendSmsToSingleRecipientRequest(step.definitionKey, recipientModel(step.recipient)),
          step,
        ),
      ),
    model: sdk.SendDefinitionToSingleRecipientResponse,
  },
  sendSmsToMultipleRecipients: {
    run: (api, step) =>
      api.sendSmsToMultipleRecipients(
        withContent(
          new sdk.SendSmsToMultipleRecipientsRequest(
            step.definitionKey,
            step.recipients.map(recipientModel),
          ),
          step,
        ),
      ),
    model: sdk.SendDefinitionToMultipleRecipientsResponse,
  },
  getSmsSendStatusForRecipient: {
    run: (api, step) => api.getSmsSendStatusForRecipient(step.messageKey),
    model: sdk.GetDefinitionSendStatusForRecipientResponse,
  },
  getSMSsNotSentToRecipients: {
    run: (api, step) =>
      api.getSMSsNotSentToRecipients(step.type, {
        pageSize: step.pageSize,
        lastEventId: step.lastEventId,
      }),
    model: sdk.GetDefinitionsNotSentToRecipientsResponse,
  },
  getSmsDefinitions: {
    run: (api, step) =>
      api.getSmsDefinitions({
        filter: step.filter,
        pageSize: step.pageSize,
        page: step.page,
        orderBy: step.orderBy,
      }),
    model: sdk.GetSmsDefinitionsResponse,
  },
  getSmsDefinition: {
    run: (api, step) => api.getSmsDefinition(step.definitionKey),
    model: sdk.SmsDefinition,
  },
  createSmsDefinition: {
    run: (api, step) => {
      const subscriptions = new sdk.SmsDefinitionSubscriptions(step.shortCode, step.countryCode);
      subscriptions.keyword = step.keyword;
      const definition = new sdk.SmsDefinition(
        step.definitionKey,
        step.name,
        new sdk.SmsDefinitionContent(step.message),
        subscriptions,
      );
      if (step.description !== undefined) {
        definition.description = step.description;
      }
      return api.createSmsDefinition(definition);
    },
    model: sdk.SmsDefinition,
  },
  partiallyUpdateSmsDefinition: {
    run: (api, step) => {
      const update = new sdk.UpdateSmsDefinitionRequest();
      update.description = step.description;
      return api.partiallyUpdateSmsDefinition(step.definitionKey, update);
    },
    model: sdk.SmsDefinition,
  },
  deleteSmsDefinition: {
    run: (api, step) => api.deleteSmsDefinition(step.definitionKey),
    model: sdk.DeleteSendDefinitionResponse,
  },
};

function asJson(value) {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

function failure(error) {
  return {
    name: (error && (error.name || (error.constructor && error.constructor.name))) || 'Error',
    status: error && error.status !== undefined ? error.status : null,
    message: String((error && error.message) || error),
  };
}

async function runStep(api, step) {
  const call = CALLS[step.call];
  if (call === undefined) {
    return { call: step.call, ok: false, error: failure(new Error(`unknown call ${step.call}`)) };
  }
  let data;
  try {
    data = await call.run(api, step);
  } catch (error) {
    return { call: step.call, ok: false, error: failure(error) };
  }
  const result = { call: step.call, ok: true, data: asJson(data) };
  if (call.model !== null) {
    try {
      result.model = asJson(call.model.constructFromObject(data));
    } catch (error) {
      result.modelError = failure(error);
    }
  }
  return result;
}

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on('data', (chunk) => chunks.push(chunk));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

async function main() {
  const job = JSON.parse(await readStdin());
  const client = new Client({
    authBaseUrl: job.authBaseUrl,
    clientId: job.clientId,
    clientSecret: job.clientSecret,
    accountId: job.accountId === null ? undefined : job.accountId,
    scope: job.scope === null ? undefined : job.scope,
  });
  const api = client.transactionalMessagingApi;
  const steps = [];
  for (const step of job.steps) {
    steps.push(await runStep(api, step));
  }
  return { sdk: `${SDK}@${sdkVersion}`, node: process.version, refused, sent, steps };
}

main().then(
  (output) => {
    process.stdout.write(JSON.stringify(output) + '\n');
  },
  (error) => {
    process.stderr.write(`drive.js: ${error && error.stack ? error.stack : error}\n`);
    process.exitCode = 2;
  },
);
