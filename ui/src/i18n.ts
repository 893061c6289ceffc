// A small translation table: zh-CN by default, English by the switch in the header.

import { enPages, zhPages } from "./i18n-pages";
import { enSchedule, zhSchedule } from "./i18n-schedule";

export type Lang = "zh-CN" | "en";

const zhBase = {
  app: "木棉 · 攀枝花融媒体播出系统",
  skip: "跳到主要内容",
  nav: "主导航",
  monitor: "播出监看",
  catalog: "节目库",
  emergency: "应急广播",
  signIn: "登录",
  signOut: "退出",
  username: "用户名",
  password: "密码",
  signInFailed: "登录失败",
  signInHint: "初次使用：管理员账号为 admin，初始密码在服务器第一次启动时打印在它的输出中（只显示一次），也可在第一次启动前用 KAPOK_ADMIN_PASSWORD 设定。其他账号由管理员在“用户”页开设。",
  language: "English",
  languageLabel: "切换到英文",
  loading: "加载中…",
  error: "出错了",
  noChannels: "没有频道",
  preview: "预览",
  tv: "电视",
  radio: "广播",
  playing: "播放中",
  notPlaying: "未播放",
  search: "搜索",
  searchLabel: "搜索节目（中文）",
  searchPlaceholder: "例如：芒果",
  category: "类别",
  allCategories: "全部类别",
  status: "状态",
  noResults: "没有找到节目",
  results: "搜索结果",
  noPoster: "无海报",
  back: "返回节目库",
  details: "节目详情",
  centre: "制作中心",
  duration: "时长",
  qc: "质检",
  qcPass: "通过",
  qcFail: "未通过",
  qcNone: "暂无质检结果",
  loudness: "响度",
  loudnessTarget: "规范化目标",
  integrated: "综合响度",
  truePeak: "真峰值",
  range: "响度范围",
  noLoudness: "暂无响度数据",
  noProxy: "暂无预览文件",
  description: "简介",
  compose: "编写警报",
  pasteCap: "粘贴 CAP",
  form: "表单",
  capXml: "CAP 1.2 XML",
  event: "事件",
  headline: "标题",
  descriptionText: "内容",
  instruction: "防护指引",
  areas: "区域代码（逗号分隔）",
  areaPreview: "覆盖区域",
  severity: "严重程度",
  urgency: "紧迫程度",
  certainty: "确定程度",
  expiresMin: "有效时长（分钟）",
  drill: "演练模式（Exercise）",
  drillBanner: "演练 · EXERCISE · 非真实警报",
  actualBanner: "真实警报 · ACTUAL",
  send: "发送警报",
  confirmTitle: "确认发送",
  confirmText: "将向以下区域正在播出的频道插播：",
  confirm: "确认发送",
  cancel: "取消",
  receipt: "回执",
  outcome: "结果",
  channels: "频道",
  alerts: "警报列表",
  noAlerts: "暂无警报",
  state: "状态",
  sent: "发送时间",
  refused: "警报被拒绝",
  unknownArea: "未知区域",
  wholeNetwork: "全网",
  alertStatus: "类型",
  areaCodes: "区域代码",
  drillTag: "演练",
  reachedNoChannel: "已记录，但未在任何频道插播",
  noChannelWhy: "该区域没有正在播出的频道",
  alertKey: "警报标识",
  colourMismatch: "注意：标题中的预警颜色与所选严重程度不一致，画面按严重程度显示颜色",
  sev_Extreme: "特别重大（I级·红色）",
  sev_Severe: "重大（II级·橙色）",
  sev_Moderate: "较大（III级·黄色）",
  sev_Minor: "一般（IV级·蓝色）",
  urg_Immediate: "立即",
  urg_Expected: "预期",
  urg_Future: "将来",
  cer_Observed: "已观测",
  cer_Likely: "很可能",
  cer_Possible: "可能",
  st_received: "已接收",
  st_verified: "已验证",
  st_scheduled: "待插播",
  st_on_air: "插播中",
  st_completed: "已完成",
  st_expired: "已过期",
  st_cancelled: "已撤销",
  st_superseded: "已更新",
  out_accepted: "已受理",
  out_duplicate: "重复，已忽略",
  status_Actual: "真实",
  status_Exercise: "演练",
  cancelAlert: "撤销",
  cancelConfirm: "确定撤销这条警报？",
  actions: "操作",
  sourceFile: "源文件",
  houseFile: "播出文件",
} as const;

const zh = { ...zhBase, ...zhPages, ...zhSchedule };

export type Key = keyof typeof zh;

const enBase: Record<keyof typeof zhBase, string> = {
  app: "Kapok · Panzhihua broadcast network",
  skip: "Skip to main content",
  nav: "Main navigation",
  monitor: "On-air monitor",
  catalog: "Catalog",
  emergency: "Emergency",
  signIn: "Sign in",
  signOut: "Sign out",
  username: "Username",
  password: "Password",
  signInFailed: "Sign-in failed",
  signInHint: "First time here? The administrator account is admin; its first password is printed in the server's output when it first starts (shown once), or set with KAPOK_ADMIN_PASSWORD before that start. Other accounts are made by an administrator on the Users page.",
  language: "中文",
  languageLabel: "Switch to Chinese",
  loading: "Loading…",
  error: "Error",
  noChannels: "No channels",
  preview: "Preview",
  tv: "TV",
  radio: "Radio",
  playing: "Playing",
  notPlaying: "Not playing",
  search: "Search",
  searchLabel: "Search programmes (Chinese)",
  searchPlaceholder: "e.g. 芒果",
  category: "Category",
  allCategories: "All categories",
  status: "Status",
  noResults: "No programmes found",
  results: "Results",
  noPoster: "No poster",
  back: "Back to the catalog",
  details: "Programme",
  centre: "Centre",
  duration: "Duration",
  qc: "QC",
  qcPass: "Passed",
  qcFail: "Failed",
  qcNone: "No QC report yet",
  loudness: "Loudness",
  loudnessTarget: "normalised to",
  integrated: "Integrated",
  truePeak: "True peak",
  range: "Loudness range",
  noLoudness: "No loudness figures yet",
  noProxy: "No preview file",
  description: "Description",
  compose: "Compose",
  pasteCap: "Paste CAP",
  form: "Form",
  capXml: "CAP 1.2 XML",
  event: "Event",
  headline: "Headline",
  descriptionText: "Text",
  instruction: "Instruction",
  areas: "Area codes (comma separated)",
  areaPreview: "Areas reached",
  severity: "Severity",
  urgency: "Urgency",
  certainty: "Certainty",
  expiresMin: "Valid for (minutes)",
  drill: "Drill mode (Exercise)",
  drillBanner: "DRILL · EXERCISE · NOT A REAL ALERT",
  actualBanner: "REAL ALERT · ACTUAL",
  send: "Send alert",
  confirmTitle: "Confirm sending",
  confirmText: "This interrupts the running channels reaching:",
  confirm: "Send now",
  cancel: "Cancel",
  receipt: "Receipt",
  outcome: "Outcome",
  channels: "Channels",
  alerts: "Alerts",
  noAlerts: "No alerts",
  state: "State",
  sent: "Sent",
  refused: "Alert refused",
  unknownArea: "unknown area",
  wholeNetwork: "whole network",
  alertStatus: "Status",
  areaCodes: "Area codes",
  drillTag: "drill",
  reachedNoChannel: "Recorded, but aired on no channel",
  noChannelWhy: "no running channel covers the area",
  alertKey: "Key",
  colourMismatch: "Note: the headline names another warning colour than the severity draws; the slate follows the severity",
  sev_Extreme: "Extreme (I, red)",
  sev_Severe: "Severe (II, orange)",
  sev_Moderate: "Moderate (III, yellow)",
  sev_Minor: "Minor (IV, blue)",
  urg_Immediate: "Immediate",
  urg_Expected: "Expected",
  urg_Future: "Future",
  cer_Observed: "Observed",
  cer_Likely: "Likely",
  cer_Possible: "Possible",
  st_received: "received",
  st_verified: "verified",
  st_scheduled: "scheduled",
  st_on_air: "on air",
  st_completed: "completed",
  st_expired: "expired",
  st_cancelled: "cancelled",
  st_superseded: "superseded",
  out_accepted: "accepted",
  out_duplicate: "duplicate, ignored",
  status_Actual: "Actual",
  status_Exercise: "Exercise",
  cancelAlert: "Cancel",
  cancelConfirm: "Cancel this alert?",
  actions: "Actions",
  sourceFile: "Source",
  houseFile: "House",
};

const en: Record<Key, string> = { ...enBase, ...enPages, ...enSchedule };

const tables: Record<Lang, Record<Key, string>> = { "zh-CN": zh, en };

let current: Lang = localStorage.getItem("kapok.lang") === "en" ? "en" : "zh-CN";

/** The current language. */
export function lang(): Lang {
  return current;
}

/** Switches the language and remembers it. */
export function setLang(l: Lang): void {
  current = l;
  localStorage.setItem("kapok.lang", l);
  document.documentElement.lang = l;
}

/** The text of `key` in the current language. */
export function t(key: Key): string {
  return tables[current][key];
}

/** The word for an enumerated value (`st_` + `on_air`), or the value itself when there is none. */
export function word(prefix: string, value: string): string {
  const key = `${prefix}${value}` as Key;
  return (tables[current] as Record<string, string>)[key] ?? value;
}

/** The names of the network's centres (GB/T 2260). */
export const CENTRES: Record<string, { zh: string; en: string }> = {
  "510400": { zh: "攀枝花市", en: "Panzhihua (city)" },
  "510402": { zh: "东区", en: "Dong District" },
  "510403": { zh: "西区", en: "Xi District" },
  "510411": { zh: "仁和区", en: "Renhe District" },
  "510421": { zh: "米易县", en: "Miyi County" },
  "510422": { zh: "盐边县", en: "Yanbian County" },
};

/** A centre's name in the current language, or its code when unknown. */
export function centreName(code: string): string {
  const c = CENTRES[code];
  return c ? (current === "en" ? c.en : c.zh) : code;
}

/** The controlled list of programme categories (as the API spells them). */
export const CATEGORIES: Array<{ value: string; en: string }> = [
  { value: "涉农", en: "Agriculture" },
  { value: "新闻", en: "News" },
  { value: "文化", en: "Culture" },
  { value: "应急科普", en: "Emergency science" },
  { value: "公益", en: "Public service" },
  { value: "少儿", en: "Children" },
  { value: "综艺", en: "Entertainment" },
  { value: "纪录", en: "Documentary" },
  { value: "音乐", en: "Music" },
  { value: "台标宣传", en: "Idents" },
];

/** A category's label in the current language. */
export function categoryName(value: string): string {
  const c = CATEGORIES.find((x) => x.value === value);
  return c && current === "en" ? c.en : value;
}

/**
 * The languages a programme is offered in (the catalog keeps free text: BCP 47 tags such as
 * `zh-CN` from uploads, or a name such as `普通话` from the catalog's default); `also` lists the
 * other spellings that mean the same language.
 */
export const LANGUAGES: Array<{ value: string; zh: string; en: string; also: string[] }> = [
  { value: "zh-CN", zh: "中文（普通话）", en: "Chinese (Mandarin)", also: ["zh", "cmn", "zh-hans", "普通话", "中文", "汉语"] },
  { value: "ii", zh: "彝语", en: "Yi (Nuosu)", also: ["iii", "彝语"] },
  { value: "zh-sichuan", zh: "四川话", en: "Sichuanese", also: ["四川话"] },
  { value: "yue", zh: "粤语", en: "Cantonese", also: ["zh-hk", "粤语"] },
  { value: "bo", zh: "藏语", en: "Tibetan", also: ["藏语"] },
  { value: "en", zh: "英语", en: "English", also: ["en-us", "en-gb", "英语"] },
  { value: "zxx", zh: "无语言（音乐、画面）", en: "No language (music, pictures)", also: ["und", "无"] },
];

const languageOf = (value: string) => {
  const v = value.trim().toLowerCase();
  return LANGUAGES.find((l) => l.value.toLowerCase() === v || l.also.includes(v));
};

/** A programme's language (`zh-CN`, `普通话`, …) by its name in the current language; free text as it is. */
export function languageName(value: string): string {
  const l = languageOf(value);
  return l ? (current === "en" ? l.en : l.zh) : value;
}

/** A `<select>`'s options for a language field holding `value` (kept as an option when it is not a known one). */
export function languageOptions(value: string): Array<{ value: string; label: string; selected: boolean }> {
  const known = languageOf(value);
  const out = LANGUAGES.map((l) => ({ value: l.value, label: current === "en" ? l.en : l.zh, selected: l === known }));
  // A spelling other than the list's value (`普通话`) keeps its own value, named as the list does.
  if (known && known.value !== value) out.splice(LANGUAGES.indexOf(known), 1, { value, label: languageName(value), selected: true });
  if (!known && value) out.push({ value, label: value, selected: true });
  return out;
}

const STATUS_ZH: Record<string, string> = {
  uploading: "上传中",
  queued: "排队中",
  processing: "处理中",
  ready: "就绪",
  failed: "失败",
};

/** A programme status in the current language. */
export function statusName(s: string): string {
  return current === "en" ? s : (STATUS_ZH[s] ?? s);
}
