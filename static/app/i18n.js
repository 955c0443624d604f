// Chinese first: strings are written in Chinese in the code, and this table gives their English.
// The language is the page's (the person's setting, sent in the boot data).

const EN = {
  "邻里": "Linli",
  "消息": "Message",
  "消息列表": "Messages",
  "发送": "Send",
  "群聊": "Chats",
  "敲门": "Knock",
  "专题群": "Topics",
  "我": "Me",
  "审核": "Review",
  "入驻审核": "Join review",
  "返回": "Back",
  "更多": "More",
  "正在连接…": "Connecting…",
  "已连接": "Live",
  "网络已断开，正在重连…": "Offline, reconnecting…",
  "{n}人在线": "{n} online",
  "{name} 正在输入…": "{name} is typing…",
  "{n} 条新消息": "{n} new messages",
  "回到最新": "Jump to latest",
  "正在加载更早的消息…": "Loading earlier messages…",
  "没有更早的消息了": "No earlier messages",
  "此消息已被删除": "This message was deleted",
  "已编辑": "edited",
  "回复": "Reply",
  "编辑": "Edit",
  "删除": "Delete",
  "置顶为议题": "Pin as topic",
  "取消置顶": "Unpin",
  "禁言": "Mute",
  "解除禁言": "Unmute",
  "移出群聊": "Remove from room",
  "消息操作": "Message actions",
  "取消": "Cancel",
  "确定": "OK",
  "议题": "Pinned",
  "{n} 个议题": "{n} pinned",
  "置顶标题（可不填）": "Title (optional)",
  "回复 {name}：": "Replying to {name}:",
  "正在编辑消息": "Editing message",
  "取消回复": "Cancel reply",
  "取消编辑": "Cancel edit",
  "你已被禁言，{until} 解除": "You are muted until {until}",
  "你已被禁言，直至群主解除": "You are muted until a moderator lifts it",
  "等待发送": "Waiting to send",
  "发送失败": "Not sent",
  "重试": "Retry",
  "删除草稿": "Discard",
  "禁言 {name}": "Mute {name}",
  "10 分钟": "10 minutes",
  "1 小时": "1 hour",
  "1 天": "1 day",
  "7 天": "7 days",
  "30 天": "30 days",
  "直至解除": "Until lifted",
  "确定删除这条消息？": "Delete this message?",
  "确定把 {name} 移出本群？": "Remove {name} from this room?",
  "管理日志": "Moderation log",
  "退出群聊": "Leave room",
  "群公告与议题": "Pinned topics",
  "小区群": "Neighbourhood",
  "社区群": "Community",
  "专题公共群": "Topic room",
  "私聊": "Direct",
  "五位一体": "Coordination",
  "工作群": "Work room",
  "党员": "Party",
  "居委": "Committee",
  "版主": "Moderator",
  "业委会": "Owners",
  "物业": "Property",
  "民警": "Police",
  "群主": "Owner",
  "选一个群开始聊天": "Choose a chat to start",
  "还没有消息，打个招呼吧": "No messages yet — say hello",
  "有人敲门": "Knocks at your door",
  "开门": "Open the door",
  "婉拒": "Decline",
  "屏蔽": "Block",
  "找邻居": "Find a neighbour",
  "找居委和工作人员": "The committee and staff",
  "按昵称搜索": "Search by display name",
  "搜索": "Search",
  "没有找到": "Nobody found",
  "敲门留言": "First message",
  "敲门 {name}": "Knock on {name}'s door",
  "已敲门，等待对方开门": "Knocked — waiting for an answer",
  "{name} 开门了": "{name} opened the door",
  "{name} 婉拒了你的敲门": "{name} declined your knock",
  "已屏蔽": "Blocked",
  "加入": "Join",
  "申请加入": "Apply",
  "已申请，等待群主审核": "Applied — waiting for the owner",
  "进入": "Open",
  "已加入": "Joined",
  "{n} 人申请加入": "{n} asking to join",
  "{name} 申请加入本群": "{name} asks to join",
  "同意": "Approve",
  "拒绝": "Refuse",
  "待审核的入驻申请": "Pending join applications",
  "没有待审核的申请": "No pending applications",
  "真实姓名": "Real name",
  "身份证": "ID number",
  "手机": "Phone",
  "住址": "Address",
  "昵称": "Display name",
  "申请时间": "Applied",
  "通过": "Approve",
  "不通过": "Reject",
  "不通过的理由（申请人会看到）": "Reason (shown to the applicant)",
  "已通过": "Approved",
  "未通过": "Rejected",
  "语言": "Language",
  "退出登录": "Log out",
  "身份": "Role",
  "居民": "Resident",
  "居委干部": "Cadre",
  "居民版主": "Resident moderator",
  "社区民警": "Community police",
  "观察员": "Observer",
  "暂无记录": "Nothing yet",
  "加载失败，请稍后再试": "Could not load — try again later",
  "@ 提到的人": "Mention someone",
  "{n} 条未读": "{n} unread",
  "[已删除]": "[deleted]",
  "今天": "Today",
  "昨天": "Yesterday",
  "系统消息": "System",
  "我的敲门": "My knocks",
  "你是群主，可以管理本群": "You moderate this room",
  "你已退出登录。": "You are logged out.",
  "重新登录": "Log in again",
};

let lang = "zh-hans";

export function setLanguage(code) {
  lang = code === "en" ? "en" : "zh-hans";
}

export function language() {
  return lang;
}

/** The text in the page's language, with {name} placeholders filled from ``vars``. */
export function t(text, vars) {
  let out = lang === "en" ? EN[text] ?? text : text;
  if (vars) for (const [key, value] of Object.entries(vars)) out = out.replaceAll(`{${key}}`, value);
  return out;
}

const pad = (n) => String(n).padStart(2, "0");

/** A message time: "18:30" today, "昨天 18:30", else "12月3日 18:30" (or English forms). */
export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const now = new Date();
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const day = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((day(now) - day(d)) / 86400000);
  if (days === 0) return hm;
  if (days === 1) return `${t("昨天")} ${hm}`;
  if (lang === "en") return `${d.toLocaleDateString("en", { month: "short", day: "numeric" })} ${hm}`;
  return `${d.getMonth() + 1}月${d.getDate()}日 ${hm}`;
}

/** A short time for the room list: "18:30", "昨天", "12/3". */
export function shortWhen(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const full = when(iso);
  if (full.length <= 5) return full;
  if (full.startsWith(t("昨天"))) return t("昨天");
  return `${d.getMonth() + 1}/${d.getDate()}`;
}
