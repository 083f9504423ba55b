# 网页应用的简体中文消息。这里的每个键也在 en/main.ftl 中（有单元测试检查）。

## Layout
skip-to-content = 跳到正文
nav-label = 主导航
nav-home = 首页
nav-raise = 提交工单
nav-my-tickets = 我的工单
nav-tickets = 工单
nav-kb = 知识库
nav-admin = 管理
nav-profile = 个人资料
sign-out = 退出登录
footer-zone = 时间显示于时区
back-home = 返回首页
welcome = 欢迎，{ $name }
signed-in-as = 已登录：{ $name }

## Sign in
sign-in = 登录
sign-in-title = 登录 IT 服务门户
field-email = 电子邮箱
field-password = 密码
field-otp = 身份验证器中的验证码
login-wrong = 邮箱或密码不正确。
login-otp-needed = 请输入身份验证器中的验证码。
login-otp-wrong = 验证码不正确或已过期，请输入当前的验证码。
login-throttled = 尝试次数过多，请稍等一分钟再试。

## Errors
not-found-title = 未找到
not-found-text = 这里没有内容，或者您无权查看。
forbidden-title = 不允许
forbidden-text = 您的角色不允许此操作。
csrf-title = 表单已过期
csrf-text = 此表单不是从本站页面提交的，或页面已过期。请返回并刷新页面后重新提交。
bad-form-title = 无法读取表单
bad-form-text = 提交的内容缺少某些项或格式不正确。请返回检查表单。
unavailable-title = 暂时无法使用
unavailable-text = 服务暂时无法响应，请稍后再试。
internal-title = 出错了
internal-text = 页面无法显示，我们已收到通知，请稍后再试。

## Home
home-open-tickets = 我未关闭的工单
home-no-open = 您没有未关闭的工单。
home-search-kb = 搜索知识库
staff-home-text = 服务商控制台即将上线。在此之前，可通过 API 及其文档完成所有工作：
staff-api-docs = API 文档
staff-tenants = 租户
col-name = 名称
col-key = 代码
col-status = 状态

## Tickets
status-new = 新建
status-assigned = 已分派
status-in_progress = 处理中
status-pending_customer = 等待您的回复
status-pending_vendor = 等待供应商
status-resolved = 已解决
status-closed = 已关闭
status-cancelled = 已取消
metric-first_response = 首次响应
metric-resolution = 解决
metric-onsite = 到场
sla-paused = 等待您回复期间 SLA 计时暂停

## Spans of time
due-in = 剩余 { $span }
overdue-by = 已超时 { $span }
unit-days = { $n } 天
unit-hours = { $n } 小时
unit-minutes = { $n } 分钟
unit-seconds = { $n } 秒
js-units = 天|小时|分钟|秒|剩余 %s|已超时 %s
