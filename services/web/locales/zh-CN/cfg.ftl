# 租户管理员的设置页面（虚拟配置）。这里的每个键也在 en/cfg.ftl 中（有单元测试检查）。

## 各设置页通用
cfg-nav-label = 设置分类
cfg-nav-overview = 概览
cfg-nav-calendar = 工作日历
cfg-save = 保存更改
cfg-saved = 已保存。更改现已生效，并记入设置的历史版本。
cfg-check-fields = 未保存：请检查下方标出的字段。
cfg-stale = 未保存：在您打开此页面之后，其他人修改了这些设置。请重新加载页面查看最新设置，然后再次进行修改。
cfg-reload = 重新加载页面
cfg-conflict = 未保存：此更改与当前设置冲突。
cfg-read-only = 未保存：账户已暂停，设置只能查看，不能修改。
cfg-remove = 删除
cfg-all = 全部
cfg-list-separator = 、
cfg-error-whole-number = 请输入整数。
cfg-error-number = 请输入数字，例如 31.2304。
cfg-error-choose = 请从给出的选项中选择一项。
cfg-error-both = 影响和紧急度请同时选择，或都不选。
cfg-error-local-time = 请输入日期和时间，例如 2026-12-05 22:00。

## 工单类别
cfg-categories-title = 工单类别
cfg-categories-intro = 提交工单时可选的类别，也用于月度报告中的故障统计。类别的键一经设定不再更改；停用某个类别后，新工单不再提供该类别，已有工单保持不变。
cfg-col-key = 键
cfg-col-name = 名称
cfg-col-offered = 状态
cfg-offered = 新工单可选
cfg-retired = 已停用
cfg-name-of = { $key } 的名称
cfg-new-category-key = 新类别的键
cfg-new-category-name = 新类别的名称
cfg-categories-add-hint = 如需添加类别，请填写最后一行：键由小写字母、数字、_ 或 - 组成（例如 printers），并填写名称。

## 优先级矩阵
cfg-priorities-title = 优先级矩阵
cfg-priorities-intro = 工单的优先级由影响范围和紧急程度共同决定，并据此适用相应的 SLA 目标。
cfg-matrix-caption = 各影响与紧急度组合对应的优先级
cfg-axis-impact = 影响
cfg-axis-urgency = 紧急度
cfg-cell-label = 影响：{ $impact }，紧急度：{ $urgency }
cfg-priorities-hint = 更改只对此后提交的工单生效；已打开的工单保持原有优先级。
cfg-level-critical = 严重
cfg-level-high = 高
cfg-level-medium = 中
cfg-level-low = 低
cfg-priority-p1 = P1 · 紧急
cfg-priority-p2 = P2 · 高
cfg-priority-p3 = P3 · 中
cfg-priority-p4 = P4 · 低

## 自定义字段
cfg-fields-title = 自定义字段
cfg-fields-intro = 工单上的附加字段，例如资产编号或成本中心。字段的键在添加时设定，之后不可更改，因为工单按此键保存字段值。
cfg-fields-none = 暂无自定义字段。
cfg-fields-new = 添加字段
cfg-col-label = 显示名称
cfg-col-kind = 类型
cfg-col-required = 提交工单时必填
cfg-col-options = 选项
cfg-options-hint = （选择类字段：每行一个选项）
cfg-col-applies-to = 适用的工单类型
cfg-applies-to-hint = 不勾选则适用于所有类型的工单。
cfg-remove-field = 删除此字段
cfg-kind-text = 文本
cfg-kind-number = 数字
cfg-kind-boolean = 是 / 否
cfg-kind-date = 日期
cfg-kind-select = 单选
cfg-kind-multiselect = 多选
cfg-ticket-kind-incident = 事件
cfg-ticket-kind-service_request = 服务请求
cfg-ticket-kind-problem = 问题
cfg-ticket-kind-change = 变更

## 站点
cfg-sites-title = 站点
cfg-sites-intro = 贵公司的办公地点，工程师上门服务时前往这些地点。调度区域决定派哪些工程师前往。
cfg-sites-none = 暂无站点。
cfg-sites-new = 添加站点
cfg-col-address = 地址
cfg-col-region = 调度区域
cfg-col-contact = 现场联系人
cfg-col-latitude = 纬度
cfg-col-longitude = 经度
cfg-remove-site = 删除此站点
cfg-sites-hint = 调度区域为小写英文词，例如 shanghai-pudong。经纬度请同时填写或都不填，用于规划工程师的上门路线。

## Webhook
cfg-webhooks-title = Webhook
cfg-webhooks-intro = Canopy 通过 HTTP 将您选择的事件发送到贵公司的系统，并用该 Webhook 的密钥签名（HMAC-SHA256，请求头 Canopy-Signature）。
cfg-webhooks-none = 暂无 Webhook。
cfg-webhooks-new = 添加 Webhook
cfg-col-url = URL
cfg-col-secret = 签名密钥
cfg-secret-new = 至少 16 个字符。密钥只在输入时可见，请在接收端系统中保存一份。
cfg-secret-kept = 当前密钥以 { $hint } 结尾。留空则保留当前密钥，输入新密钥则替换。
cfg-secret-keep = 留空则保留当前密钥，输入新密钥则替换。
cfg-col-events = 事件
cfg-col-active = 启用
cfg-remove-webhook = 删除此 Webhook
cfg-deliveries-link = 投递记录
cfg-event-all = 所有事件
cfg-event-kb-article_published = 知识库文章已发布
cfg-event-ticket-created = 工单已提交
cfg-event-ticket-updated = 工单已更新
cfg-event-ticket-assigned = 工单已分派
cfg-event-ticket-resolved = 工单已解决
cfg-event-ticket-closed = 工单已关闭
cfg-event-sla-warning = SLA 预警
cfg-event-sla-breached = SLA 已违约
cfg-event-invoice-issued = 账单已开具
cfg-event-report-ready = 月度报告已生成

## 投递记录
cfg-deliveries-title = Webhook 投递记录
cfg-deliveries-none = 尚未向此 Webhook 发送任何内容。
cfg-deliveries-older = 更早的投递
cfg-inactive = 已停用
cfg-col-when = 时间
cfg-col-event = 事件
cfg-col-status = 状态
cfg-col-attempts = 尝试次数
cfg-col-response = 响应
cfg-col-last-attempt = 最近一次尝试
cfg-delivery-pending = 等待发送
cfg-delivery-retrying = 发送失败，将重试
cfg-delivery-delivered = 已送达
cfg-delivery-failed = 失败
cfg-next-attempt = 下次尝试：{ $at }

## 监控
cfg-monitoring-title = 监控规则
cfg-monitoring-intro = 监控代理上报的事件如何生成事件工单，以及维护期间何时静默。
cfg-rules-title = 规则
cfg-window-mins = 关联时间窗口（分钟）
cfg-open-at = 从此严重级别起创建事件工单
cfg-flap-threshold = 抖动判定：恢复次数
cfg-flap-window-mins = 抖动判定：时间范围（分钟）
cfg-auto-resolve = 告警恢复时自动解决事件工单
cfg-flap-hint = 同一主机、同一检查项在时间窗口内的事件合并为一条告警。告警在给定时间内恢复的次数超过给定次数即视为抖动：其事件工单保持打开，直到告警稳定。
cfg-iu-title = 各严重级别的影响与紧急度
cfg-iu-hint = 选择“按矩阵顺序”时，该严重级别的影响和紧急度按优先级矩阵的顺序确定。
cfg-col-severity = 严重级别
cfg-impact-of = { $severity }的影响
cfg-urgency-of = { $severity }的紧急度
cfg-from-matrix = 按矩阵顺序
cfg-severity-critical = 严重
cfg-severity-error = 错误
cfg-severity-warning = 警告
cfg-severity-info = 信息
cfg-mapping-title = 检查项 → 类别
cfg-mapping-hint = 检查项名称包含所填文字时归入对应类别，按顺序取第一条匹配的规则。没有规则匹配的检查项按内置关键词（ping、disk、antivirus 等）归类。
cfg-col-contains = 检查项名称包含
cfg-col-category = 类别
cfg-col-remove = 删除
cfg-contains-of = 规则 { $n } 的文字
cfg-new-mapping = 新规则的文字
cfg-save-rules = 保存规则

## 维护窗口
cfg-maintenance-title = 维护窗口
cfg-maintenance-intro = 维护窗口期间，所覆盖主机和检查项的事件将被静默。时间按贵公司的时区（{ $zone }）填写。
cfg-maintenance-none = 暂无维护窗口。
cfg-maintenance-new = 添加维护窗口
cfg-col-hosts = 主机
cfg-col-checks = 检查项
cfg-remove-window = 删除“{ $name }”
cfg-over = 已结束
cfg-window-kind = 频率
cfg-window-once = 一次性
cfg-window-weekly = 每周
cfg-starts-at = 开始时间（一次性）
cfg-ends-at = 结束时间（一次性）
cfg-weekly-days = 星期（每周）
cfg-weekly-from = 开始（每周）
cfg-weekly-to = 结束（每周）
cfg-weekly-when = { $days }，{ $from }–{ $to }
cfg-window-hint = 每周窗口的结束时间早于开始时间时，表示跨越午夜。
cfg-patterns-hint = 多个名称用逗号分隔；* 代表任意字符（如 fs*）。留空则覆盖所有主机或所有检查项。
cfg-save-maintenance = 保存维护窗口
cfg-day-mon = 周一
cfg-day-tue = 周二
cfg-day-wed = 周三
cfg-day-thu = 周四
cfg-day-fri = 周五
cfg-day-sat = 周六
cfg-day-sun = 周日
