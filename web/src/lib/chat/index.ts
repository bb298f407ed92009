"use client";

import { useSyncExternalStore } from "react";
import { Connection, forget, initial, type Snapshot } from "./connection";

let current: Connection | undefined;

// chat is the page's one connection to the home cell, made on first use
// and shared by every chat screen the person moves between.
export function chat(): Connection {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  current ??= new Connection(`${scheme}://${location.host}/v1/realtime`, localStorage);
  return current;
}

// endChat closes the connection and forgets what the device held for the
// person signing out.
export function endChat(): void {
  current?.close();
  current = undefined;
  forget(localStorage);
}

const none = () => () => {};
const server = () => initial;

// useChat is the chat as the screens see it; the server renders the
// "connecting" state, and the browser connects when it hydrates.
export function useChat(): [Snapshot, Connection | undefined] {
  const c = typeof window === "undefined" ? undefined : chat();
  return [useSyncExternalStore(c?.subscribe ?? none, c?.snapshot ?? server, server), c];
}
