/** MessageTable and RequestPlans: ids, the compatibility report, and how each kind of request is planned. */
import { bootstrap, VppClientError, VppIncompatibleError } from '../../src/client';
import { IncomingRoute, MessageTable, NO_ID } from '../../src/client/message-table';
import { HANDSHAKE_PLAN, RequestPlans } from '../../src/client/request-plan';
import { tableFor } from '../support/scripted-server';
import { echo, echo_reply, testMessages, thing_details, thing_dump, thing_event, thing_get } from './test-defs';

function loaded(served = testMessages): MessageTable {
  const table = new MessageTable(testMessages);
  table.load([...tableFor(served)].map(([name, index]) => ({ name, index })));
  return table;
}

describe('MessageTable', () => {
  it('reports what VPP has, routes replies by context offset and events as events', () => {
    const table = loaded(testMessages.filter((d) => d !== thing_get));
    expect(table.compatibility.missing).toEqual(['thing_get']);
    expect(table.compatibility.compatible).toEqual(expect.arrayContaining(['echo', 'thing_event', 'control_ping']));
    const replyId = table.messageId(echo_reply)!;
    expect(table.contextOffsetById[replyId]).toBe(echo_reply.contextOffset);
    expect(table.contextOffsetById[table.messageId(thing_event)!]).toBe(IncomingRoute.Event);
    expect(table.has('echo')).toBe(true);
    expect(table.has('thing_get')).toBe(false);
    expect(() => table.idOf(thing_get)).toThrow(VppIncompatibleError);
  });
});

describe('RequestPlans', () => {
  it('plans a call, a dump (with control_ping) and a stream with their terminators and retval checks', () => {
    const table = loaded();
    const plans = new RequestPlans(table);
    const call = plans.get('call', echo);
    expect(call).toMatchObject({ terminator: echo_reply, detailsId: NO_ID, withPing: false, retval: 'check' });
    expect(call.msgId).toBe(table.messageId(echo));
    expect(plans.get('call', echo)).toBe(call);
    const dump = plans.get('dump', thing_dump);
    expect(dump).toMatchObject({ terminator: bootstrap.control_ping_reply, detailsDef: thing_details, withPing: true });
    expect(dump.detailsId).toBe(table.messageId(thing_details));
    expect(plans.get('stream', thing_get).retval).toBe('check-but-eagain');
    expect(plans.get('goodbye', bootstrap.sockclnt_delete).retval).toBe('ignore');
    expect(HANDSHAKE_PLAN).toMatchObject({ def: bootstrap.sockclnt_create, withPing: false, retval: 'check' });
  });

  it('refuses a request used as the wrong kind, or one VPP lacks, naming it', () => {
    const plans = new RequestPlans(loaded(testMessages.filter((d) => d !== echo_reply)));
    expect(() => plans.get('dump', echo)).toThrow(new VppClientError('echo has no details message: it is not a dump'));
    expect(() => plans.get('dump', thing_get)).toThrow(
      /thing_get is a cursor stream: use stream\(\) or streamIter\(\)/,
    );
    expect(() => plans.get('stream', thing_dump)).toThrow(/thing_dump is not a cursor stream/);
    expect(() => plans.get('call', thing_event)).toThrow(/thing_event has no reply message/);
    expect(() => plans.get('call', echo)).toThrow(VppIncompatibleError);
    expect(() => plans.get('call', echo)).toThrow(/echo_reply/);
  });
});
