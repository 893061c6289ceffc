/** What a page returns: its content and a clean-up run when the page is left. */
export interface Page {
  el: HTMLElement;
  dispose?: () => void;
}
