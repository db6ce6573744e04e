/**
 * What every Flight handler shares: who makes the call ({@link dev.labelflight.flight.call.Call}, the one
 * place a call's user is looked up), the one mapping from LabelFlight errors to Flight statuses with
 * structured details ({@link dev.labelflight.flight.call.FlightErrors}), blocking waits for bus replies
 * with a call timeout ({@link dev.labelflight.flight.call.BusCalls}), request bodies
 * ({@link dev.labelflight.flight.call.Bodies}), the shutdown gate ({@link dev.labelflight.flight.call.Admission}),
 * and the types the producer dispatches on: {@link dev.labelflight.flight.call.ActionSpec} for DoActions and
 * {@link dev.labelflight.flight.call.TicketSpec} for DoGet tickets, each with its {@link dev.labelflight.flight.call.Home}.
 */
package dev.labelflight.flight.call;
