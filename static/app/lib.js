// The few pieces of Preact the client uses, in one place: html`` templates (htm) render every
// value as text, never as markup, so user text cannot become HTML.
import { Component, h, render } from "../vendor/preact.module.js";
import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useReducer,
  useRef,
  useState,
} from "../vendor/hooks.module.js";
import htm from "../vendor/htm.module.js";

export const html = htm.bind(h);
export {
  Component,
  render,
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useReducer,
  useRef,
  useState,
};
